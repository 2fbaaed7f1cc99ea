/**
 * `tsbuild logs [-f] [--tail N] [-t] CONTAINER`, as `docker logs`: what the
 * container wrote to its stdout on ours, to its stderr on our stderr (with a
 * terminal, all of it was stdout); -f goes on until the container has ended.
 */
import { containerLogs } from '../api/container-logs.js';
import { TsbuildError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild logs [OPTIONS] CONTAINER

Fetch the logs of a container

Options:
  -f, --follow             Follow log output
  -n, --tail string        Number of lines to show from the end of the logs (default "all")
  -t, --timestamps         Show timestamps
${STORE_HELP}`);

export async function logsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    tail: { type: 'string', short: 'n' },
    timestamps: { type: 'boolean', short: 't' },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  requireArgs(positionals, 1, 1, HELP);
  const tail = parseTail(values.tail);
  let entries: Awaited<ReturnType<typeof containerLogs>>;
  try {
    entries = await containerLogs({
      root: values.root,
      env: io.env,
      container: positionals[0]!,
      follow: values.follow ?? false,
      ...(tail !== undefined ? { tail } : {}),
    });
  } catch (e) {
    if (!(e instanceof TsbuildError)) throw e;
    // The docker CLI's own words for a container it did not find.
    io.stderr.write(`Error: ${e.message}\n`);
    return 1;
  }
  for await (const e of entries) {
    const text = values.timestamps ? `${fixedNanos(e.time)} ${e.log}` : e.log;
    await write(e.stream === 'stdout' ? io.stdout : io.stderr, text);
  }
  return 0;
}

/** Docker's --tail: a count of entries, anything else ("all", "x", -1) all of them. */
function parseTail(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** RFC 3339 with nine fraction digits, as `docker logs -t` prints (jsonmessage.RFC3339NanoFixed). */
export function fixedNanos(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}
