/** `tsbuild images [OPTIONS] [REPOSITORY[:TAG]]`, printed as `docker images` prints. */
import { images, type ImageSummary } from '../api/images.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { renderRows, renderTable } from './template/index.js';
import { humanSize, shortId, since, unixTimeString } from './units.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild images [OPTIONS] [REPOSITORY[:TAG]]

List images

Options:
  -a, --all                Show all images (default hides intermediate images)
      --digests            Show digests
  -f, --filter filter      Filter output based on conditions provided (dangling, label, before, since, reference)
      --format string      Pretty-print images using a Go template
      --no-trunc           Don't truncate output
  -q, --quiet              Only show image IDs
${STORE_HELP}`);

const HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

export async function imagesCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    all: { type: 'boolean', short: 'a' },
    digests: { type: 'boolean' },
    filter: { type: 'string', short: 'f', multiple: true },
    format: { type: 'string' },
    'no-trunc': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) return help(io);
  requireArgs(positionals, 0, 1, HELP);
  const filters = [...(values.filter ?? [])];
  if (positionals[0]) filters.push(`reference=${positionals[0]}`);
  const list = await images({ root: values.root, env: io.env, all: values.all, filters });
  const trunc = !values['no-trunc'];
  const rows = list.flatMap((s) => rowsOf(s, trunc, values.digests === true));
  const format = values.quiet
    ? '{{.ID}}'
    : (values.format ??
      (values.digests
        ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
        : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'));
  io.stdout.write(
    format.startsWith('table') ? renderTable(format, rows, HEADERS) : renderRows(format, rows),
  );
  return 0;
}

/** The fields `--format` sees, one object per row as Docker's imageContext. */
interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

/**
 * Docker CLI's imageFormat: `<none>` rows for an image with neither tag nor
 * digest; else imageFormatTaggedAndDigest — a row per tag (per tag and digest
 * of its repository with `--digests`), then a row per repository known only by
 * digest (per digest with `--digests`). Docker walks Go maps here, in no fixed
 * order; tsbuild keeps the tags' order and the repositories' first appearance.
 */
function rowsOf(s: ImageSummary, trunc: boolean, digests: boolean): ImageRow[] {
  const base = {
    Containers: 'N/A',
    CreatedAt: unixTimeString(s.created),
    CreatedSince: since(s.created),
    ID: trunc ? shortId(s.id) : s.id,
    SharedSize: 'N/A',
    Size: humanSize(s.size),
    UniqueSize: 'N/A',
    VirtualSize: humanSize(s.size),
  };
  if (s.repoTags.length === 0 && s.repoDigests.length === 0)
    return [{ ...base, Repository: '<none>', Tag: '<none>', Digest: '<none>' }];
  const byRepo = new Map<string, string[]>();
  for (const d of s.repoDigests) {
    const repo = d.slice(0, d.indexOf('@'));
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), d.slice(d.indexOf('@') + 1)]);
  }
  const rows: ImageRow[] = [];
  const row = (Repository: string, Tag: string, Digest: string) =>
    rows.push({ ...base, Repository, Tag, Digest });
  const tagged = new Set<string>();
  for (const t of s.repoTags) {
    const repo = t.slice(0, t.lastIndexOf(':'));
    const tag = t.slice(t.lastIndexOf(':') + 1);
    tagged.add(repo);
    const ds = digests ? (byRepo.get(repo) ?? []) : [];
    if (ds.length === 0) row(repo, tag, '<none>');
    for (const d of ds) row(repo, tag, d);
  }
  for (const [repo, ds] of byRepo) {
    if (tagged.has(repo)) continue;
    if (digests) for (const d of ds) row(repo, '<none>', d);
    else row(repo, '<none>', '');
  }
  return rows;
}

function help(io: Io): number {
  io.stdout.write(HELP);
  return 0;
}
