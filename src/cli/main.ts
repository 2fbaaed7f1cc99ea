/**
 * `tsbuild COMMAND …`: picks the command, runs it, and turns what went wrong
 * into an exit code — 2 for wrong usage (as docker), 1 for anything else. A
 * stack trace is printed only for an error that is not a TsbuildError (nor a
 * full or failing disk): a bug.
 */
import { DockerfileError, TsbuildError, UsageError, bareResourceError } from '../errors.js';
import type { Io } from './io.js';
import { didYouMean } from './suggest.js';

export type { Io };

type Command = (argv: string[], io: Io) => Promise<number>;

/**
 * Each command's module is loaded when it runs: a warm no-op build is about a tenth
 * of a second of work, and loading every command (the parser, the archive code…)
 * for it would cost as much again.
 */
const lazy =
  <K extends string>(load: () => Promise<Record<K, Command>>, name: K): Command =>
  async (argv, io) =>
    (await load())[name](argv, io);

const buildCommand = lazy(() => import('./build.js'), 'buildCommand');
const archive = () => import('./archive.js');
const prune = () => import('./prune.js');
const tag = () => import('./tag.js');
const registry = () => import('./registry.js');
const containers = () => import('./containers.js');
const commit = () => import('./commit.js');
const lifecycle = () => import('./container-lifecycle.js');

/**
 * `docker image VERB` as the seeds type it (`docker image ls`, `image rm`…):
 * the same commands under their docker image names. Not `image prune`: docker's
 * removes dangling images, `tsbuild prune` is the store's own.
 */
const IMAGE_VERBS: Record<string, string> = {
  build: 'build',
  history: 'history',
  import: 'import',
  inspect: 'inspect',
  load: 'load',
  ls: 'images',
  pull: 'pull',
  push: 'push',
  rm: 'rmi',
  save: 'save',
  tag: 'tag',
};

/** `tsbuild [--root DIR] image VERB …`: the command IMAGE_VERBS names, `--root` kept. */
async function imageCommand(argv: string[], io: Io): Promise<number> {
  let at = 0;
  while (argv[at] === '--root' || argv[at]?.startsWith('--root='))
    at += argv[at] === '--root' ? 2 : 1;
  const verb = argv[at];
  const target = verb === undefined ? undefined : IMAGE_VERBS[verb];
  if (verb === undefined || verb === '--help' || target === undefined)
    throw new UsageError(
      `${verb === undefined || verb === '--help' ? '' : `unknown command "image ${verb}"${didYouMean(verb, Object.keys(IMAGE_VERBS))}\n`}Usage: tsbuild image COMMAND\n\nCommands: ${Object.keys(IMAGE_VERBS).join(', ')}`,
    );
  return COMMANDS[target]!.run([...argv.slice(0, at), ...argv.slice(at + 1)], io);
}

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  build: { run: buildCommand, summary: 'Build an image from a Dockerfile' },
  parse: {
    run: lazy(() => import('./parse.js'), 'parseCommand'),
    summary: 'Parse a Dockerfile; print its instructions and stage graph',
  },
  images: { run: lazy(() => import('./images.js'), 'imagesCommand'), summary: 'List images' },
  inspect: {
    run: lazy(() => import('./inspect.js'), 'inspectCommand'),
    summary: 'Display detailed information on images',
  },
  history: {
    run: lazy(() => import('./history.js'), 'historyCommand'),
    summary: 'Show the history of an image',
  },
  pull: { run: lazy(registry, 'pullCommand'), summary: 'Download an image from a registry' },
  push: { run: lazy(registry, 'pushCommand'), summary: 'Upload an image to a registry' },
  login: { run: lazy(registry, 'loginCommand'), summary: 'Log in to a registry' },
  logout: { run: lazy(registry, 'logoutCommand'), summary: 'Log out from a registry' },
  tag: {
    run: lazy(tag, 'tagCommand'),
    summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  },
  rmi: { run: lazy(tag, 'rmiCommand'), summary: 'Remove one or more images' },
  save: {
    run: lazy(archive, 'saveCommand'),
    summary: 'Save images to a tar archive (OCI layout + docker-archive)',
  },
  load: {
    run: lazy(archive, 'loadCommand'),
    summary: 'Load images from a tar archive or an OCI layout',
  },
  import: {
    run: lazy(archive, 'importCommand'),
    summary: 'Create a base image from a rootfs tarball',
  },
  prune: {
    run: lazy(prune, 'pruneCommand'),
    summary: 'Remove dangling images, unused cache and blobs',
  },
  cache: {
    run: lazy(prune, 'cacheCommand'),
    summary: 'Build cache: "cache du" shows its disk usage',
  },
  run: {
    run: lazy(() => import('./run.js'), 'runCommand'),
    summary: 'Run a command in a new container',
  },
  debug: {
    run: lazy(() => import('./debug.js'), 'debugCommand'),
    summary: 'Open a shell in a stopped container, as a failed build step left it',
  },
  image: {
    run: (argv, io) => imageCommand(argv, io),
    summary: 'Manage images by docker\'s names: "image ls", "image rm", "image inspect"…',
  },
  ps: { run: lazy(containers, 'psCommand'), summary: 'List containers' },
  logs: {
    run: lazy(() => import('./logs.js'), 'logsCommand'),
    summary: 'Fetch the logs of a container',
  },
  start: { run: lazy(lifecycle, 'startCommand'), summary: 'Start one or more stopped containers' },
  stop: { run: lazy(lifecycle, 'stopCommand'), summary: 'Stop one or more running containers' },
  kill: { run: lazy(lifecycle, 'killCommand'), summary: 'Kill one or more running containers' },
  rm: { run: lazy(containers, 'rmCommand'), summary: 'Remove one or more containers' },
  container: {
    run: lazy(() => import('./container-verbs.js'), 'containerCommand'),
    summary:
      'Manage containers: "container inspect", "container ls", "container rm", "container prune"',
  },
  commit: {
    run: lazy(commit, 'commitCommand'),
    summary: "Create a new image from a container's changes",
  },
  diff: {
    run: lazy(commit, 'diffCommand'),
    summary: "Inspect changes to files or directories on a container's filesystem",
  },
  export: {
    run: lazy(commit, 'exportCommand'),
    summary: "Export a container's filesystem as a tar archive",
  },
  version: {
    run: lazy(() => import('./version.js'), 'versionCommand'),
    summary: 'Show the tsbuild version information',
  },
};

const USAGE = `Usage: tsbuild COMMAND [OPTIONS]
       tsbuild [OPTIONS] PATH | -   (the same as tsbuild build)
       tsbuild -v | --version       (print the version and quit)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Run 'tsbuild COMMAND --help' for more information on a command.
`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = globalsAfterCommand(argv);
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(USAGE);
      return name === undefined ? 2 : 0;
    }
    // `tsbuild --version` / `-v`, as `docker --version`: one line, and nothing else runs.
    if (name === '--version' || name === '-v') {
      io.stdout.write((await import('./version.js')).versionLine());
      return 0;
    }
    // A detached container's supervisor (api/supervisor.ts SUPERVISE_VERB): never typed, not listed.
    if (name === '__supervise')
      return await (await import('./supervise.js')).superviseCommand(rest, io);
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    // `tsbuild -t app .`: a flag or a context where a command would be starts a build.
    if (!command && (await import('./build-args.js')).startsBuild(name))
      return await buildCommand(argv, io);
    if (!command)
      throw new UsageError(
        `unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}\n\n${USAGE}`,
      );
    return await command.run(rest, io);
  } catch (e) {
    return report(e, io);
  }
}

/**
 * `tsbuild --root DIR images`: a global option before the command, as `docker -H …
 * images` takes it, goes after the command (every command takes --root). Before a
 * build's flags or context it stays where it is: the build reads it there.
 */
function globalsAfterCommand(argv: string[]): string[] {
  let at = 0;
  while (argv[at] === '--root' || argv[at]?.startsWith('--root='))
    at += argv[at] === '--root' ? 2 : 1;
  const name = argv[at];
  if (at === 0 || name === undefined || !Object.hasOwn(COMMANDS, name)) return argv;
  return [name, ...argv.slice(0, at), ...argv.slice(at + 1)];
}

function report(e: unknown, io: Io): number {
  if (e instanceof DockerfileError) {
    io.stderr.write(`error: ${e.render()}\n`);
    return 1;
  }
  if (e instanceof UsageError) {
    io.stderr.write(`tsbuild: ${e.message}\n`);
    return 2;
  }
  if (e instanceof TsbuildError) {
    io.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  // A full or failing disk that no caller described: still the machine, not a bug.
  const resource = bareResourceError(e);
  if (resource) {
    io.stderr.write(`error: ${resource.message}\n`);
    return 1;
  }
  io.stderr.write(
    `tsbuild: internal error (a bug; please report it):\n${(e as Error)?.stack ?? String(e)}\n`,
  );
  return 1;
}
