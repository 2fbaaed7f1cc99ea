/**
 * `--explain-cache` in the text displays: one line saying why a step missed,
 * then the files that made it miss, at most ten.
 *
 *    ---> cache miss: sources changed: 12 files
 *         changed: src/app.ts
 *         …
 *         and 2 more
 */
import type { MissEvent } from './progress.js';

const MAX_FILES = 10;

export function explainText(explain: MissEvent['explain']): string {
  const out = [` ---> cache miss: ${explain.message}`];
  const files = explain.files;
  if (files) {
    const listed = [
      ...files.changed.map((f) => `changed: ${f}`),
      ...files.added.map((f) => `added: ${f}`),
      ...files.removed.map((f) => `removed: ${f}`),
    ];
    for (const l of listed.slice(0, MAX_FILES)) out.push(`      ${l}`);
    if (listed.length > MAX_FILES) out.push(`      and ${listed.length - MAX_FILES} more`);
  }
  return out.map((l) => `${l}\n`).join('');
}
