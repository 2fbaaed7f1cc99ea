/**
 * What a container runs, from its image's config and `run`'s options, by
 * Docker's rules (docker/cli opts, moby runconfig merge and
 * daemon.mergeAndVerifyConfig, container.CreateDaemonEnvironment):
 *
 * - `--entrypoint X` replaces the image's Entrypoint and drops its Cmd; so
 *   does `--entrypoint ''`, which leaves no entrypoint at all. A COMMAND
 *   replaces Cmd. Neither left: "No command specified".
 * - Config.Env is the -e/--env-file values, then the image's whose names they
 *   do not set; `-e K` takes K from the caller's environment, and a K it lacks
 *   stays bare, which unsets K in the process.
 * - The process's environment: PATH (Docker's default) and HOSTNAME, each
 *   replaced by Config.Env's value, then the rest of Config.Env.
 * - `-w` must be absolute; the default is the image's WorkingDir, else `/`.
 * - The hostname is `--hostname`, else the host's with `--network host`, else
 *   the container ID's first 12 digits.
 */
import { hostname as hostHostname } from 'node:os';
import type { ContainerConfig } from '../image/types.js';
import { DEFAULT_PATH } from '../runtime/run/spec.js';
import { TsbuildError } from '../errors.js';

export interface CommandOptions {
  /** `--entrypoint`; '' resets it. */
  entrypoint?: string;
  /** COMMAND [ARG…]: replaces the image's Cmd when not empty. */
  command?: string[];
}

/** The entrypoint and cmd a container gets, and the argv they make. */
export function resolveCommand(
  image: ContainerConfig,
  opts: CommandOptions,
): { entrypoint: string[] | null; cmd: string[] | null; args: string[] } {
  const userCmd = opts.command && opts.command.length > 0 ? opts.command : undefined;
  let entrypoint: string[] | null;
  let cmd: string[] | null;
  if (opts.entrypoint === undefined) {
    entrypoint = nonEmpty(image.Entrypoint);
    cmd = userCmd ?? nonEmpty(image.Cmd);
  } else {
    // [""] from `--entrypoint ''`: set (so the image's Cmd goes), then reset.
    entrypoint = opts.entrypoint === '' ? null : [opts.entrypoint];
    cmd = userCmd ?? null;
  }
  const args = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (args.length === 0)
    throw new TsbuildError('NO_COMMAND', 'No command specified', { image: image.Image });
  return { entrypoint, cmd, args };
}

function nonEmpty(list: string[] | null | undefined): string[] | null {
  return list && list.length > 0 ? [...list] : null;
}

/**
 * `-e` values as the docker CLI reads them: `K=V` as given, `K` from `lookup`
 * (kept bare when it has no K). An empty name is refused.
 */
export function readEnvFlags(values: string[], lookup: NodeJS.ProcessEnv): string[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (key === '')
      throw new TsbuildError('BAD_ENV', `invalid environment variable: ${v}`, { value: v });
    if (eq >= 0) return v;
    const found = lookup[key];
    return found === undefined ? v : `${key}=${found}`;
  });
}

/**
 * An --env-file's text as the docker CLI reads it (opts.ParseEnvFile): one
 * variable a line, leading blanks dropped, `#` lines and empty lines skipped,
 * no quoting; a name alone is looked up as `-e K` is.
 */
export function parseEnvFile(text: string, file: string, lookup: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line.replace(/\s+$/, '') : line.slice(0, eq);
    if (name === '')
      throw new TsbuildError('BAD_ENV', `${file}: no variable name on line '${line}'`, { file });
    if (/\s/.test(name))
      throw new TsbuildError('BAD_ENV', `${file}: variable '${name}' contains whitespaces`, {
        file,
      });
    if (eq >= 0) out.push(`${name}=${line.slice(eq + 1)}`);
    else out.push(lookup[name] === undefined ? name : `${name}=${lookup[name]}`);
  }
  return out;
}

const keyOf = (e: string) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);

/** Config.Env: the user's values, then the image's whose names they do not set (runconfig merge). */
export function mergeEnv(image: string[] | null | undefined, user: string[]): string[] {
  if (user.length === 0) return [...(image ?? [])];
  const names = new Set(user.map(keyOf));
  return [...user, ...(image ?? []).filter((e) => !names.has(keyOf(e)))];
}

/**
 * The process's environment from Config.Env (moby ReplaceOrAppendEnvValues
 * over PATH and HOSTNAME): a value replaces a default of its name in place, a
 * bare name removes it.
 */
export function processEnvironment(configEnv: string[], hostname: string, tty = false): string[] {
  const out: (string | undefined)[] = [
    `PATH=${DEFAULT_PATH}`,
    `HOSTNAME=${hostname}`,
    ...(tty ? ['TERM=xterm'] : []),
  ];
  const at = new Map(out.map((e, i) => [keyOf(e!), i]));
  for (const e of configEnv) {
    const i = at.get(keyOf(e));
    if (!e.includes('=')) {
      if (i !== undefined) out[i] = undefined;
      continue;
    }
    if (i !== undefined) out[i] = e;
    else {
      at.set(keyOf(e), out.length);
      out.push(e);
    }
  }
  return out.filter((e): e is string => e !== undefined);
}

/**
 * Config.WorkingDir: `-w`, else the image's WorkingDir, else '' (the process
 * then starts in `/`); Docker's error for a relative one.
 */
export function resolveWorkdir(image: ContainerConfig, flag: string | undefined): string {
  if (flag !== undefined && flag !== '') {
    if (!flag.startsWith('/'))
      throw new TsbuildError(
        'BAD_WORKDIR',
        `the working directory '${flag}' is invalid, it needs to be an absolute path`,
        { workdir: flag },
      );
    return flag;
  }
  return image.WorkingDir ?? '';
}

/** `--hostname`, else the host's name for `--network host`, else the short ID. */
export function resolveHostname(id: string, flag: string | undefined, network: string): string {
  if (flag !== undefined && flag !== '') {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9.-]*$/.test(flag) || flag.length > 255)
      throw new TsbuildError('BAD_HOSTNAME', `invalid hostname format: ${flag}`, {
        hostname: flag,
      });
    return flag;
  }
  return network === 'host' ? hostHostname() : id.slice(0, 12);
}
