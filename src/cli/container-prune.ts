/**
 * `tsbuild container prune`: remove stopped containers, printed as docker
 * prints it (go-units HumanSize: four significant digits).
 */
import { pruneContainers, pruneFilters } from '../api/container-prune.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { humanSize } from './units.js';
import { alignHelp } from './help-text.js';

const PRUNE_HELP = alignHelp(`Usage:  tsbuild container prune [OPTIONS]

Remove all stopped containers (failed build steps kept to debug included)

Options:
      --filter filter      Provide filter values (e.g. 'until=<timestamp>')
  -f, --force              Do not prompt for confirmation
${STORE_HELP}`);

export async function containerPruneCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    filter: { type: 'string', multiple: true },
    force: { type: 'boolean', short: 'f' },
  });
  if (values.help) {
    io.stdout.write(PRUNE_HELP);
    return 0;
  }
  requireArgs(positionals, 0, 0, PRUNE_HELP);
  pruneFilters(values.filter ?? []);
  if (!values.force) {
    io.stdout.write(
      'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ',
    );
    // As docker: anything but y/Y is no, and no is not an error.
    if (!/^[yY]$/.test((await firstLine(io.stdin)).trim())) {
      io.stdout.write('Total reclaimed space: 0B\n');
      return 0;
    }
  }
  const r = await pruneContainers({ root: values.root, env: io.env, filters: values.filter });
  if (r.deleted.length > 0) io.stdout.write(`Deleted Containers:\n${r.deleted.join('\n')}\n\n`);
  io.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed, 4)}\n`);
  return 0;
}

/** The first line of `input` (without waiting for its end), '' at end of input. */
function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const done = (line: string) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', reject);
      input.pause();
      resolve(line);
    };
    const onData = (c: Buffer | string) => {
      got += c.toString();
      const at = got.indexOf('\n');
      if (at >= 0) done(got.slice(0, at));
    };
    const onEnd = () => done(got);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', reject);
  });
}
