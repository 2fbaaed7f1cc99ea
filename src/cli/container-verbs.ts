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

/** `tsbuild container VERB …`: ours above, else containers.ts's. */
export async function containerCommand(argv: string[], io: Io): Promise<number> {
  const verb = argv[0] !== undefined && Object.hasOwn(CONTAINER_VERBS, argv[0]) ? argv[0] : '';
  if (verb) return CONTAINER_VERBS[verb]!.run(argv.slice(1), io);
  return (await import('./containers.js')).containerCommand(argv, io);
}
