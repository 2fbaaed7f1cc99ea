/**
 * `tsbuild run [OPTIONS] IMAGE [COMMAND] [ARG...]`, as `docker run` in the
 * foreground: the container's output on ours, its exit status ours; 125 for
 * an error of tsbuild's own (usage included), 126 when the command cannot be
 * executed, 127 when it is not found. SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGUSR1 and SIGUSR2 sent to tsbuild go to the container's process (as
 * docker run's sig-proxy does); a second Ctrl-C does not kill tsbuild either.
 * With -t the process gets a pseudo-terminal (runtime/run/runner.ts); with
 * -it our terminal is in raw mode for the run, so Ctrl-C reaches the container
 * as a keystroke, as under docker run -it. With -d the container runs under a
 * supervisor of its own (api/supervisor.ts): its ID is printed once it is
 * made, and tsbuild exits 0 once it has started (125, 126 or 127 if it cannot).
 */
import type { Readable, Writable } from 'node:stream';
import { runDetached } from '../api/container-start.js';
import { run, type RunNetworkMode, type RunRequest } from '../api/run.js';
import { TsbuildError, UsageError } from '../errors.js';
import { foreground } from './foreground.js';
import type { Io } from './io.js';
import { parseRunArgs } from './run-args.js';
import { extraHost } from './docker-flags.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild run [OPTIONS] IMAGE [COMMAND] [ARG...]

Run a command in a new container

Options:
      --add-host list      Add a custom host-to-IP mapping (host:ip)
  -d, --detach             Run container in background and print container ID
      --entrypoint string  Overwrite the default ENTRYPOINT of the image
  -e, --env list           Set environment variables
      --env-file list      Read in a file of environment variables
  -h, --hostname string    Container host name
      --init               Run an init inside the container that forwards signals and reaps processes
  -i, --interactive        Keep STDIN open
      --mount mount        Attach a filesystem mount to the container
      --name string        Assign a name to the container
      --network string     Connect a container to a network: default, none or host (default "default")
      --read-only          Mount the container's root filesystem as read only
      --rm                 Automatically remove the container when it exits
      --runtime string     How the container runs: auto, runc, crun or builtin (default "auto")
  -t, --tty                Allocate a pseudo-TTY
  -u, --user string        Username or UID (format: <name|uid>[:<group|gid>])
  -v, --volume list        Bind mount a volume
  -w, --workdir string     Working directory inside the container
      --root string        The store's directory (default: $TSBUILD_ROOT, else $XDG_DATA_HOME/tsbuild)
      --help               Print this help
`);

const RUNTIMES = ['auto', 'runc', 'crun', 'builtin'];

export async function runCommand(argv: string[], io: Io): Promise<number> {
  let a: ReturnType<typeof parseRunArgs>;
  let addHosts: RunRequest['addHosts'];
  try {
    a = parseRunArgs(argv);
    addHosts = a.lists.get('add-host')?.map(extraHost);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`tsbuild: ${e.message}\nSee 'tsbuild run --help'.\n`);
    return 125;
  }
  if (a.bools.has('help')) {
    io.stdout.write(HELP);
    return 0;
  }
  // docker's check: a terminal's input must be one (when it is attached).
  if (
    !a.bools.has('detach') &&
    a.bools.has('tty') &&
    a.bools.has('interactive') &&
    !(io.stdin as { isTTY?: boolean }).isTTY
  ) {
    io.stderr.write('the input device is not a TTY\n');
    return 1;
  }
  const [image, ...command] = a.rest;
  if (image === undefined)
    return refuse(io, `"tsbuild run" requires at least 1 argument.\nSee 'tsbuild run --help'.`);
  const runtime = a.strings.get('runtime') ?? 'auto';
  if (!RUNTIMES.includes(runtime))
    return refuse(io, `tsbuild: unknown runtime ${runtime}: use auto, runc, crun or builtin`);
  const network = a.strings.get('network') ?? a.strings.get('net');
  const req: RunRequest = {
    root: a.strings.get('root'),
    env: io.env,
    image,
    command,
    ...optional('entrypoint', a.strings.get('entrypoint')),
    environment: a.lists.get('env') ?? [],
    envFiles: a.lists.get('env-file') ?? [],
    ...optional('workdir', a.strings.get('workdir')),
    ...optional('user', a.strings.get('user')),
    volumes: a.lists.get('volume') ?? [],
    mounts: a.lists.get('mount') ?? [],
    ...optional('network', network as RunNetworkMode | undefined),
    rm: a.bools.has('rm'),
    ...optional('name', a.strings.get('name')),
    readOnly: a.bools.has('read-only'),
    tty: a.bools.has('tty'),
    ...optional('hostname', a.strings.get('hostname')),
    ...(addHosts ? { addHosts } : {}),
    init: a.bools.has('init'),
    runtime: runtime as RunRequest['runtime'],
    onPull: (line) => io.stderr.write(`${line}\n`),
  };
  if (a.bools.has('detach')) return detached(req, a.bools.has('interactive'), io);
  const container = run({
    ...req,
    ...(a.bools.has('interactive') ? { stdin: io.stdin as Readable } : {}),
    stdout: io.stdout as Writable,
    stderr: io.stderr as Writable,
  });
  return foreground(container, io, a.bools.has('interactive') ? (io.stdin as Readable) : undefined);
}

/** `run -d`: the ID once the container is made (as docker prints it), 0 once it has started. */
async function detached(req: RunRequest, interactive: boolean, io: Io): Promise<number> {
  try {
    await runDetached({
      ...req,
      interactive,
      ...(io.supervisor ? { cli: io.supervisor } : {}),
      onCreated: (id) => io.stdout.write(`${id}\n`),
    });
    return 0;
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    io.stderr.write(`error: ${e.message}\n`);
    const code = e.data.exitCode;
    return typeof code === 'number' ? code : 125;
  }
}

function refuse(io: Io, message: string): number {
  io.stderr.write(`${message}\n`);
  return 125;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
