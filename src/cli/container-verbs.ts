/**
 * `tsbuild container commit|diff|export|logs|start|stop|kill|prune`: the
 * container verbs of commit.ts, logs.ts, container-lifecycle.ts and
 * container-prune.ts under `container`, as docker has them
 * (`docker container commit` in the seeds). The other `container` verbs
 * (inspect, ls, rm) are containers.ts's; `containerCommand` hands them on.
 */
import type { Io } from './io.js';

type Command = (argv: string[], io: Io) => Promise<number>;

export const CONTAINER_VERBS: Record<string, { run: Command; summary: string }> = {
  commit: {
    run: async (argv, io) => (await import('./commit.js')).commitCommand(argv, io),
    summary: "Create a new image from a container's changes",
  },
  diff: {
    run: async (argv, io) => (await import('./commit.js')).diffCommand(argv, io),
    summary: "Inspect changes to files or directories on a container's filesystem",
  },
  export: {
    run: async (argv, io) => (await import('./commit.js')).exportCommand(argv, io),
    summary: "Export a container's filesystem as a tar archive",
  },
  logs: {
    run: async (argv, io) => (await import('./logs.js')).logsCommand(argv, io),
    summary: 'Fetch the logs of a container',
  },
  start: {
    run: async (argv, io) => (await import('./container-lifecycle.js')).startCommand(argv, io),
    summary: 'Start one or more stopped containers',
  },
  stop: {
    run: async (argv, io) => (await import('./container-lifecycle.js')).stopCommand(argv, io),
    summary: 'Stop one or more running containers',
  },
  kill: {
    run: async (argv, io) => (await import('./container-lifecycle.js')).killCommand(argv, io),
    summary: 'Kill one or more running containers',
  },
  prune: {
    run: async (argv, io) => (await import('./container-prune.js')).containerPruneCommand(argv, io),
    summary: 'Remove all stopped containers',
  },
};

/**
 * `tsbuild container VERB …`: ours above, else containers.ts's. A `--root`
 * before the verb (`tsbuild --root DIR container ls`: main.ts puts global
 * options right after the command) goes after it.
 */
export async function containerCommand(argv: string[], io: Io): Promise<number> {
  let at = 0;
  while (argv[at] === '--root' || argv[at]?.startsWith('--root='))
    at += argv[at] === '--root' ? 2 : 1;
  const verb = argv[at];
  const args = verb === undefined ? argv : [verb, ...argv.slice(0, at), ...argv.slice(at + 1)];
  if (verb !== undefined && Object.hasOwn(CONTAINER_VERBS, verb))
    return CONTAINER_VERBS[verb]!.run(args.slice(1), io);
  return (await import('./containers.js')).containerCommand(args, io);
}
