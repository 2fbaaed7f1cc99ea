/** `tsbuild history IMAGE`, printed as `docker history` prints. */
import { history, type HistoryItem } from '../api/history.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { renderRows, renderTable } from './template/index.js';
import { humanSize, shortId, since } from './units.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild history [OPTIONS] IMAGE

Show the history of an image

Options:
      --format string      Pretty-print images using a Go template
  -H, --human              Print sizes and dates in human readable format (default true)
      --no-trunc           Don't truncate output
  -q, --quiet              Only show image IDs
${STORE_HELP}`);

const HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

const DEFAULT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export async function historyCommand(argv: string[], io: Io): Promise<number> {
  // -H is a Go bool flag: `-H`, `-H=false`, `--human=true`. parseArgs has no
  // `=value` for booleans, so those forms are read here.
  let human = true;
  const rest = argv.filter((a) => {
    const m = /^(?:-H|--human)=(true|false|1|0)$/.exec(a);
    if (m) human = m[1] === 'true' || m[1] === '1';
    return !m;
  });
  const { values, positionals } = parseOptions(rest, {
    ...STORE_OPTIONS,
    format: { type: 'string' },
    human: { type: 'boolean', short: 'H' },
    'no-trunc': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  requireArgs(positionals, 1, 1, HELP);
  const items = await history({ root: values.root, env: io.env, image: positionals[0]! });
  const rows = items.map((h) => rowOf(h, !values['no-trunc'], human));
  const format = values.quiet ? '{{.ID}}' : (values.format ?? DEFAULT);
  io.stdout.write(
    format.startsWith('table') ? renderTable(format, rows, HEADERS) : renderRows(format, rows),
  );
  return 0;
}

/** Docker CLI's historyContext. */
function rowOf(h: HistoryItem, trunc: boolean, human: boolean) {
  const createdBy = h.createdBy.replace(/\t/g, ' ');
  return {
    ID: h.id === '<missing>' || !trunc ? h.id : shortId(h.id),
    CreatedSince: human ? since(h.created) : rfc3339(h.created),
    CreatedAt: rfc3339(h.created),
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: human ? humanSize(h.size) : String(h.size),
    Comment: h.comment,
  };
}

/** History's `{{.CreatedAt}}` is RFC 3339 to the second (not images' Go time.String()). */
function rfc3339(created: string): string {
  const t = new Date(created);
  return Number.isNaN(t.getTime()) ? '' : `${t.toISOString().slice(0, 19)}Z`;
}

/** stringutils.Ellipsis: at most `max` characters, the last one `…` when cut. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
