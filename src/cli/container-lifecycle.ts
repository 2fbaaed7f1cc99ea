/**
 * `tsbuild stop`, `kill` and `start`, printed as the docker CLI prints them:
 * each container's name as given once done, an error per container that
 * failed ("Error response from daemon: …", the daemon's words) and exit 1
 * after the others were done.
 */
import type { Readable, Writable } from 'node:stream';
import { startAttached, startDetached } from '../api/container-start.js';
import { DEFAULT_STOP_SECONDS, killContainer, stopContainer } from '../api/container-stop.js';
import { TsbuildError, UsageError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { alignHelp } from './help-text.js';

const STOP_HELP = alignHelp(`Usage:  tsbuild stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

Options:
  -t, --time int           Seconds to wait for stop before killing it (default ${DEFAULT_STOP_SECONDS})
${STORE_HELP}`);

export async function stopCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    time: { type: 'string', short: 't' },
  });
  if (values.help) {
    io.stdout.write(STOP_HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, STOP_HELP);
  const time = values.time;
  if (time !== undefined && !/^-?\d+$/.test(time)) {
    io.stderr.write(
      `invalid argument "${time}" for "-t, --time" flag: strconv.ParseInt: parsing "${time}": invalid syntax\nSee 'tsbuild stop --help'.\n`,
    );
    return 125;
  }
  return eachContainer(positionals, io, (container) =>
    stopContainer({
      root: values.root,
      env: io.env,
      container,
      ...(time !== undefined ? { timeout: Number(time) } : {}),
    }),
  );
}

const KILL_HELP = alignHelp(`Usage:  tsbuild kill [OPTIONS] CONTAINER [CONTAINER...]

Kill one or more running containers

Options:
  -s, --signal string      Signal to send to the container (default "KILL")
${STORE_HELP}`);

export async function killCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    signal: { type: 'string', short: 's' },
  });
  if (values.help) {
    io.stdout.write(KILL_HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, KILL_HELP);
  return eachContainer(positionals, io, (container) =>
    killContainer({
      root: values.root,
      env: io.env,
      container,
      ...(values.signal !== undefined ? { signal: values.signal } : {}),
    }),
  );
}

/** Run `act` on each container in turn, printing its name as given or the daemon's error. */
async function eachContainer(
  names: string[],
  io: Io,
  act: (name: string) => Promise<unknown>,
): Promise<number> {
  const failed: string[] = [];
  for (const name of names) {
    try {
      await act(name);
      io.stdout.write(`${name}\n`);
    } catch (e) {
      if (!(e instanceof TsbuildError)) throw e;
      io.stderr.write(`Error response from daemon: ${e.message}\n`);
      failed.push(name);
    }
  }
  return failed.length > 0 ? 1 : 0;
}

const START_HELP = alignHelp(`Usage:  tsbuild start [OPTIONS] CONTAINER [CONTAINER...]

Start one or more stopped containers

Options:
  -a, --attach             Attach STDOUT/STDERR and forward signals
  -i, --interactive        Attach container's STDIN
${STORE_HELP}`);

const FORWARDED: NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
];

/**
 * `start`: each container under a supervisor of its own; with -a (one
 * container) in the foreground as `run` is, its exit status ours.
 */
export async function startCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    attach: { type: 'boolean', short: 'a' },
    interactive: { type: 'boolean', short: 'i' },
  });
  if (values.help) {
    io.stdout.write(START_HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, START_HELP);
  const store = { root: values.root, env: io.env };
  if (values.attach || values.interactive) {
    if (positionals.length > 1)
      throw new UsageError('you cannot start and attach multiple containers at once');
    return startInForeground({ ...store, container: positionals[0]! }, !!values.interactive, io);
  }
  const failed: string[] = [];
  for (const name of positionals) {
    try {
      await startDetached({
        ...store,
        container: name,
        ...(io.supervisor ? { cli: io.supervisor } : {}),
      });
      io.stdout.write(`${name}\n`);
    } catch (e) {
      if (!(e instanceof TsbuildError)) throw e;
      io.stderr.write(`Error response from daemon: ${e.message}\n`);
      failed.push(name);
    }
  }
  if (failed.length === 0) return 0;
  io.stderr.write(`Error: failed to start containers: ${failed.join(', ')}\n`);
  return 1;
}

async function startInForeground(
  req: { root: string | undefined; env: NodeJS.ProcessEnv; container: string },
  interactive: boolean,
  io: Io,
): Promise<number> {
  const c = startAttached({
    ...req,
    stdout: io.stdout as Writable,
    stderr: io.stderr as Writable,
    ...(interactive ? { stdin: io.stdin as Readable } : {}),
  });
  const forward = (signal: NodeJS.Signals) => c.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return (await c.result).exitCode;
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    io.stderr.write(`Error response from daemon: ${e.message}\n`);
    const code = e.data.exitCode;
    return typeof code === 'number' ? code : 1;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    if (interactive) (io.stdin as Readable).destroy();
  }
}
