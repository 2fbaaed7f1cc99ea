/**
 * `tsbuild container commit|diff|export|logs|start|stop|kill|prune`: the
 * container verbs of commit.ts, logs.ts, container-lifecycle.ts and
 * container-prune.ts under `container`, as docker has them
 * (`docker container commit` in the seeds). The other `container` verbs
 * (inspect, ls, rm) are containers.ts's; `containerCommand` hands them on.
 */
import { UsageError } from '../errors.js';
import type { Io } from './io.js';
import { alignHelp } from './help-text.js';

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
  // `docker container run` is how the seeds start nearly every container.
  run: {
    run: async (argv, io) => (await import('./run.js')).runCommand(argv, io),
    summary: 'Run a command in a new container',
  },
  debug: {
    run: async (argv, io) => (await import('./debug.js')).debugCommand(argv, io),
    summary: 'Open a shell in a stopped container, as a failed build step left it',
  },
};

/** containers.ts's verbs, for the help. */
const OTHERS: Record<string, string> = {
  inspect: 'Display detailed information on one or more containers',
  ls: 'List containers',
  rm: 'Remove one or more containers',
};

const HELP = alignHelp(`Usage:  tsbuild container COMMAND

Manage containers

Commands:
${Object.entries({
  ...OTHERS,
  ...Object.fromEntries(Object.entries(CONTAINER_VERBS).map(([k, v]) => [k, v.summary])),
})
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([name, summary]) => `  ${name.padEnd(12)}${summary}`)
  .join('\n')}
`);

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
  if (verb === undefined || verb === '--help' || verb === '-h') {
    io.stdout.write(HELP);
    return verb === undefined ? 2 : 0;
  }
  const known = ['ps', 'list', 'remove', ...Object.keys(OTHERS)];
  if (!Object.hasOwn(CONTAINER_VERBS, verb) && !known.includes(verb))
    throw new UsageError(`unknown command "container ${verb}"\n\n${HELP}`);
  const args = [verb, ...argv.slice(0, at), ...argv.slice(at + 1)];
  if (Object.hasOwn(CONTAINER_VERBS, verb)) return CONTAINER_VERBS[verb]!.run(args.slice(1), io);
  return (await import('./containers.js')).containerCommand(args, io);
}
