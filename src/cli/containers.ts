/**
 * `tsbuild ps`, `tsbuild rm` and `tsbuild container inspect|ls|rm`, printed
 * as the docker CLI prints them (cli/command/formatter/container.go).
 */
import {
  inspectContainers,
  ps,
  rmContainer,
  type ContainerInspect,
  type ContainerSummary,
} from '../api/containers.js';
import type { InspectConfig } from '../api/inspect.js';
import { TsbuildError, UsageError } from '../errors.js';
import { goQuote } from '../util/go-quote.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { goContainerConfig, goContainerState, goHostConfig } from './go-types.js';
import { InspectPrinter } from './inspect-template.js';
import { goStruct, renderRows, renderTable } from './template/index.js';
import { humanDuration, shortId, unixTimeString } from './units.js';
import { alignHelp } from './help-text.js';

const PS_HELP = alignHelp(`Usage:  tsbuild ps [OPTIONS]

List containers

Options:
  -a, --all                Show all containers (default shows just running)
      --format string      Pretty-print containers using a Go template
      --no-trunc           Don't truncate output
  -q, --quiet              Only display container IDs
${STORE_HELP}`);

const HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Ports: 'PORTS',
  Names: 'NAMES',
  State: 'STATE',
};

const DEFAULT_FORMAT =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export async function psCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    all: { type: 'boolean', short: 'a' },
    format: { type: 'string' },
    'no-trunc': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) {
    io.stdout.write(PS_HELP);
    return 0;
  }
  requireArgs(positionals, 0, 0, PS_HELP);
  const list = await ps({ root: values.root, env: io.env, all: values.all });
  const trunc = !values['no-trunc'];
  const now = Date.now();
  const rows = list.map((c) => rowOf(c, trunc, now));
  const format = values.quiet ? '{{.ID}}' : (values.format ?? DEFAULT_FORMAT);
  io.stdout.write(
    format.startsWith('table') ? renderTable(format, rows, HEADERS) : renderRows(format, rows),
  );
  return 0;
}

/** The fields `--format` sees, as Docker's ContainerContext. */
function rowOf(c: ContainerSummary, trunc: boolean, now: number) {
  const image = c.image === c.imageId && trunc ? shortId(c.imageId) : c.image;
  return {
    ID: trunc ? shortId(c.id) : c.id,
    Image: image,
    Command: goQuote(trunc ? ellipsis(c.command, 20) : c.command),
    CreatedAt: unixTimeString(c.created),
    RunningFor: `${humanDuration(now - Date.parse(c.created))} ago`,
    Status: status(c, now),
    State: c.status,
    Ports: '',
    Names: c.name,
  };
}

/** Docker's State.String(). */
function status(c: ContainerSummary, now: number): string {
  if (c.status === 'running')
    return `Up ${humanDuration(now - Date.parse(c.startedAt ?? c.created))}`;
  if (c.startedAt === undefined) return 'Created';
  if (c.finishedAt === undefined) return '';
  return `Exited (${c.exitCode}) ${humanDuration(now - Date.parse(c.finishedAt))} ago`;
}

/** Docker's formatter.Ellipsis: at most `max` characters, the last one '…' when cut. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

const RM_HELP = alignHelp(`Usage:  tsbuild rm [OPTIONS] CONTAINER [CONTAINER...]

Remove one or more containers

Options:
  -f, --force              Force the removal of a running container (uses SIGKILL)
  -v, --volumes            Remove anonymous volumes associated with the container
${STORE_HELP}`);

export async function rmCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    force: { type: 'boolean', short: 'f' },
    volumes: { type: 'boolean', short: 'v' },
  });
  if (values.help) {
    io.stdout.write(RM_HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, RM_HELP);
  // As docker: go on past a container that cannot be removed, fail at the end.
  let failed = false;
  for (const name of positionals) {
    try {
      await rmContainer({
        root: values.root,
        env: io.env,
        container: name,
        force: values.force,
        volumes: values.volumes,
      });
      io.stdout.write(`${name}\n`);
    } catch (e) {
      if (!(e instanceof TsbuildError)) throw e;
      // The docker CLI's own words for a container it did not find; the daemon's for the rest.
      const from = e.code === 'NO_SUCH_CONTAINER' ? 'Error' : 'Error response from daemon';
      io.stderr.write(`${from}: ${e.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

const INSPECT_HELP = alignHelp(`Usage:  tsbuild container inspect [OPTIONS] CONTAINER [CONTAINER...]

Display detailed information on one or more containers

Options:
  -f, --format string      Format the output using the given Go template
${STORE_HELP}`);

export async function containerInspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    format: { type: 'string', short: 'f' },
  });
  if (values.help) {
    io.stdout.write(INSPECT_HELP);
    return 0;
  }
  requireArgs(positionals, 1, Infinity, INSPECT_HELP);
  // As the docker CLI: on the typed value (goView), else on the JSON (inspect-template.ts).
  const printer = new InspectPrinter(values.format, goView);
  const { found, missing } = await inspectContainers({
    root: values.root,
    env: io.env,
    containers: positionals,
  });
  for (const c of found) printer.add(c);
  for (const m of missing) printer.fail(`Error: ${m}`);
  return printer.finish(io);
}

/**
 * The container as the struct the docker CLI runs templates on
 * (types.ContainerJSON): a field it lacks is an error, not `<no value>`, and
 * its Config is a *container.Config, so `{{.Config.Volumes}}` prints `map[]`
 * when there are none and `{{.Config.Env}}` `[]`, as Docker 20.10 prints them;
 * State and HostConfig are Go structs too, so `{{.State}}` prints
 * `{exited false … <nil>}` and `{{.HostConfig.Privileged}}` `false`.
 */
function goView(c: ContainerInspect): unknown {
  return goStruct(
    {
      ...c,
      State: goContainerState(c.State),
      HostConfig: goHostConfig(c.HostConfig),
      Config: goContainerConfig(c.Config as Partial<InspectConfig>),
    },
    'types.ContainerJSON',
  );
}

const CONTAINER_HELP = alignHelp(`Usage:  tsbuild container COMMAND

Manage containers

Commands:
  inspect     Display detailed information on one or more containers
  ls          List containers
  rm          Remove one or more containers
`);

/** `tsbuild container inspect|ls|ps|rm …`. */
export async function containerCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(CONTAINER_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'inspect') return containerInspectCommand(rest, io);
  if (sub === 'ls' || sub === 'ps' || sub === 'list') return psCommand(rest, io);
  if (sub === 'rm' || sub === 'remove') return rmCommand(rest, io);
  throw new UsageError(`unknown command "container ${sub}"\n\n${CONTAINER_HELP}`);
}
