/** `tsbuild prune` and `tsbuild cache du`. */
import { cacheUsage, prune } from '../api/prune.js';
import { UsageError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { renderTable } from './template/index.js';
import { humanSize, shortId, since } from './units.js';
import { alignHelp } from './help-text.js';

const PRUNE_HELP = alignHelp(`Usage:  tsbuild prune [OPTIONS]

Remove dangling images, unused build cache and unreferenced blobs

Options:
  -a, --all                Remove all build cache, not just what no image holds
      --filter filter      Provide filter values (e.g. "until=24h", "type=exec.cachemount"
                           for RUN cache mounts only, "type=regular" for build cache records only)
${STORE_HELP}`);

export async function pruneCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    all: { type: 'boolean', short: 'a' },
    filter: { type: 'string', multiple: true },
  });
  if (values.help) {
    io.stdout.write(PRUNE_HELP);
    return 0;
  }
  requireArgs(positionals, 0, 0, PRUNE_HELP);
  const r = await prune({
    root: values.root,
    env: io.env,
    all: values.all,
    filters: values.filter,
  });
  if (r.images.length > 0) {
    io.stdout.write('Deleted Images:\n');
    for (const e of r.images)
      io.stdout.write('untagged' in e ? `untagged: ${e.untagged}\n` : `deleted: ${e.deleted}\n`);
    io.stdout.write('\n');
  }
  if (r.cache.length > 0 || r.cacheMounts.length > 0) {
    io.stdout.write('Deleted build cache objects:\n');
    for (const k of r.cache) io.stdout.write(`${k}\n`);
    for (const id of r.cacheMounts) io.stdout.write(`cache mount ${id}\n`);
    io.stdout.write('\n');
  }
  io.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
  return 0;
}

const CACHE_HELP = alignHelp(`Usage:  tsbuild cache du [OPTIONS]

Show the build cache's disk usage, record by record, and RUN --mount=type=cache directories

Options:
      --verbose            Show the layer each record points at
${STORE_HELP}`);

export async function cacheCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(CACHE_HELP);
    return 0;
  }
  if (sub !== 'du')
    throw new UsageError(`unknown cache command ${JSON.stringify(sub ?? '')}\n\n${CACHE_HELP}`);
  const { values, positionals } = parseOptions(rest, {
    ...STORE_OPTIONS,
    verbose: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(CACHE_HELP);
    return 0;
  }
  requireArgs(positionals, 0, 0, CACHE_HELP);
  const usage = await cacheUsage({ root: values.root, env: io.env });
  const rows = usage.map((u) => ({
    // In use, as docker builder du marks it.
    ID: shortId(u.key) + (u.inUse ? '*' : ''),
    Reclaimable: String(u.reclaimable),
    Size: humanSize(u.size),
    LastAccessed: since(u.lastUsed),
    Layer: u.layer ?? '',
    Description: u.type === 'exec.cachemount' ? `cache mount ${u.description ?? ''}` : '',
  }));
  // RUN --mount=type=cache directories say which id they are.
  const described = usage.some((u) => u.type === 'exec.cachemount') ? '\t{{.Description}}' : '';
  const format = values.verbose
    ? `table {{.ID}}\t{{.Reclaimable}}\t{{.Size}}\t{{.LastAccessed}}\t{{.Layer}}${described}`
    : `table {{.ID}}\t{{.Reclaimable}}\t{{.Size}}\t{{.LastAccessed}}${described}`;
  io.stdout.write(
    renderTable(format, rows, {
      ID: 'ID',
      Reclaimable: 'RECLAIMABLE',
      Size: 'SIZE',
      LastAccessed: 'LAST ACCESSED',
      Layer: 'LAYER',
      Description: 'DESCRIPTION',
    }),
  );
  const reclaimable = usage.filter((u) => u.reclaimable).reduce((n, u) => n + u.size, 0);
  const total = usage.reduce((n, u) => n + u.size, 0);
  io.stdout.write(`Reclaimable:\t${humanSize(reclaimable)}\nTotal:\t\t${humanSize(total)}\n`);
  return 0;
}
