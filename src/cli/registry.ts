/** `tsbuild pull`, `push`, `login` and `logout`, printing what docker prints. */
import { login, logout, serverDomain } from '../api/login.js';
import { pull } from '../api/pull.js';
import { push } from '../api/push.js';
import { UsageError } from '../errors.js';
import type { Io } from './io.js';
import {
  STORE_HELP,
  STORE_OPTIONS,
  insecureRegistries,
  parseOptions,
  requireArgs,
} from './options.js';
import { alignHelp } from './help-text.js';

const INSECURE_HELP = `      --insecure-registry list  A registry (host:port) to reach over plain http (loopback always may;
                               also $TSBUILD_INSECURE_REGISTRIES, comma-separated)
`;
const INSECURE = { 'insecure-registry': { type: 'string', multiple: true } } as const;

const PULL_HELP = alignHelp(`Usage:  tsbuild pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image from a registry

Options:
${INSECURE_HELP}${STORE_HELP}`);

export async function pullCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, { ...STORE_OPTIONS, ...INSECURE });
  if (values.help) {
    io.stdout.write(PULL_HELP);
    return 0;
  }
  requireArgs(positionals, 1, 1, PULL_HELP);
  const r = await pull({
    root: values.root,
    env: io.env,
    reference: positionals[0]!,
    insecureRegistries: insecureRegistries(values['insecure-registry'], io.env),
    onEvent: (e) => io.stdout.write(`${e.id ? `${e.id}: ` : ''}${e.status}\n`),
  });
  io.stdout.write(`${r.reference}\n`);
  return 0;
}

const PUSH_HELP = alignHelp(`Usage:  tsbuild push [OPTIONS] NAME[:TAG]

Upload an image to a registry

Options:
${INSECURE_HELP}${STORE_HELP}`);

export async function pushCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, { ...STORE_OPTIONS, ...INSECURE });
  if (values.help) {
    io.stdout.write(PUSH_HELP);
    return 0;
  }
  requireArgs(positionals, 1, 1, PUSH_HELP);
  await push({
    root: values.root,
    env: io.env,
    reference: positionals[0]!,
    insecureRegistries: insecureRegistries(values['insecure-registry'], io.env),
    onEvent: (e) => io.stdout.write(`${e.id ? `${e.id}: ` : ''}${e.status}\n`),
  });
  return 0;
}

const LOGIN_HELP = alignHelp(`Usage:  tsbuild login [OPTIONS] [SERVER]

Log in to a registry (Docker Hub when no SERVER is given); the credentials go
where docker keeps them ($DOCKER_CONFIG/config.json or a credential helper)

Options:
  -u, --username string    Username
  -p, --password string    Password
      --password-stdin     Take the password from stdin
${INSECURE_HELP}  -h, --help               Print this help
`);

export async function loginCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    help: { type: 'boolean', short: 'h' },
    username: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    'password-stdin': { type: 'boolean' },
    ...INSECURE,
  });
  if (values.help) {
    io.stdout.write(LOGIN_HELP);
    return 0;
  }
  requireArgs(positionals, 0, 1, LOGIN_HELP);
  if (values.password !== undefined && values['password-stdin'])
    throw new UsageError('--password and --password-stdin are mutually exclusive');
  if (values.username === undefined)
    throw new UsageError('Must provide --username with --password or --password-stdin');
  let password = values.password;
  if (values['password-stdin']) {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(Buffer.from(c as Buffer));
    password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (password === undefined || password === '')
    throw new UsageError(
      'Must provide --password or --password-stdin (no prompt: stdin is for the password)',
    );
  if (values.password !== undefined)
    io.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  await login({
    ...(positionals[0] ? { server: positionals[0] } : {}),
    username: values.username,
    password,
    env: io.env,
    insecureRegistries: insecureRegistries(values['insecure-registry'], io.env),
  });
  io.stdout.write('Login Succeeded\n');
  return 0;
}

const LOGOUT_HELP = alignHelp(`Usage:  tsbuild logout [SERVER]

Log out from a registry (Docker Hub when no SERVER is given)

Options:
  -h, --help               Print this help
`);

export async function logoutCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout.write(LOGOUT_HELP);
    return 0;
  }
  requireArgs(positionals, 0, 1, LOGOUT_HELP);
  const server = positionals[0];
  const shown = server ?? serverDomain(undefined);
  const { removed } = await logout({ ...(server ? { server } : {}), env: io.env });
  io.stdout.write(
    removed ? `Removing login credentials for ${shown}\n` : `Not logged in to ${shown}\n`,
  );
  return 0;
}
