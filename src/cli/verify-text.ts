/**
 * `build --verify`'s report as a person reads it: one line when the rebuild
 * gave the same image, else the summary, then each differing layer with the
 * step that made it and its files, then the config fields:
 *
 *   not reproducible: sha256:1a… built again is sha256:9f…: 1 layer (1 file) and 1 config field differ
 *   layer 2, step 3 (Dockerfile:3): RUN date +%s%N > /t
 *     t: content sha256:5e…→sha256:0b…
 *   config:
 *     rootfs.diff_ids[2]: "sha256:…" → "sha256:…"
 */
import { isDeepStrictEqual } from 'node:util';
import type { VerifyReport } from '../api/build-types.js';
import { verifySummary } from '../api/build-verify.js';
import type { ConfigDifference, EntryDifference } from '../build/verify-report.js';

/** Files listed per layer; the rest are counted (the metadata file has them all). */
const FILES_SHOWN = 20;
/** A config value longer than this is cut, with `…`. */
const VALUE_WIDTH = 100;

export const NOT_REPRODUCIBLE_EXIT = 3;

export function verifyText(r: VerifyReport): string {
  const lines = [verifySummary(r)];
  for (const l of r.layers) {
    const where = l.index === undefined ? 'a layer only the rebuild has' : `layer ${l.index}`;
    lines.push(
      l.step
        ? `${where}, step ${l.step.step} (${l.step.file}:${l.step.line}): ${oneLine(l.step.text)}`
        : l.made === 'base'
          ? `${where}, of the base image`
          : `${where}, the build's steps squashed into one (--squash)`,
    );
    if (!l.first) lines.push('  only the rebuild made a layer here');
    if (!l.rebuilt) lines.push('  only the build made a layer here');
    for (const f of l.files.slice(0, FILES_SHOWN)) lines.push(`  ${fileLine(f)}`);
    if (l.files.length > FILES_SHOWN)
      lines.push(`  … and ${l.files.length - FILES_SHOWN} more files`);
  }
  if (r.config.length > 0) {
    lines.push('config:');
    for (const c of r.config) lines.push(...configLines(c));
  }
  const times =
    r.config.some((c) => /(^|\.)created$/.test(c.path)) ||
    r.layers.some((l) => l.files.some((f) => f.fields?.includes('mtime')));
  if (times)
    lines.push(
      'hint: times differ; SOURCE_DATE_EPOCH (environment or --build-arg) pins them: see "Reproducible builds" in the README',
    );
  return `${lines.join('\n')}\n`;
}

/**
 * One line per differing field; a list of the same length (rootfs.diff_ids,
 * Env) as only its entries that differ, which a cut-off whole would hide.
 */
function configLines(c: ConfigDifference): string[] {
  const { first: a, rebuilt: b } = c;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length)
    return a.flatMap((x, i) =>
      isDeepStrictEqual(x, b[i]) ? [] : [`  ${c.path}[${i}]: ${shown(x)} → ${shown(b[i])}`],
    );
  return [`  ${c.path}: ${shown(a)} → ${shown(b)}`];
}

function fileLine(f: EntryDifference): string {
  if (f.change !== 'changed') return `${f.path}: ${f.change}`;
  const parts = f.fields!.map((field) => {
    const a = f.first!;
    const b = f.rebuilt!;
    switch (field) {
      case 'content':
        return `content ${short(a.sha256)}→${short(b.sha256)}`;
      case 'xattrs':
        return `xattrs ${Object.keys(a.xattrs ?? {}).join(',') || '-'}→${Object.keys(b.xattrs ?? {}).join(',') || '-'}`;
      default:
        return `${field} ${String(a[field] ?? '-')}→${String(b[field] ?? '-')}`;
    }
  });
  return `${f.path}: ${parts.join(', ')}`;
}

function short(digest: string | undefined): string {
  return digest === undefined ? '-' : `${digest.slice(0, 19)}…`;
}

function shown(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > VALUE_WIDTH ? `${text.slice(0, VALUE_WIDTH)}…` : text;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
