/**
 * `tsbuild container commit|diff|export|prune`: the container verbs of
 * commit.ts and container-prune.ts under `container`, as docker has them
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
