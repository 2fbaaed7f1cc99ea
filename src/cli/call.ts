/**
 * `tsbuild build --call=check|outline|targets[,format=json][,ignorestatus=true]`
 * and `--check` (= `--call=check`): what buildx prints for each
 * (commands/build.go printResult, BuildKit's subrequest printers), on stdout.
 *
 *   check    "Check complete, N warnings have been found!" and each finding
 *            with the Dockerfile's lines around it; exit 1 when anything was
 *            found (BuildKit's result.statuscode), unless ignorestatus=true;
 *            with check=error=true, or a Dockerfile error, the error after them
 *   outline  the target, its build args (value, description), secrets, ssh
 *   targets  the stages with their descriptions, the default one marked
 *
 * `format=json` prints BuildKit's result JSON instead, as buildx does.
 */
import { join } from 'node:path';
import { check, outline, targets, type CheckResult } from '../api/call.js';
import type { BuildRequest } from '../api/build-types.js';
import type { Outline, SourceLocation, TargetList } from '../dockerfile/outline.js';
import { sourceLocation } from '../dockerfile/outline.js';
import { DockerfileError, UsageError } from '../errors.js';
import type { Io } from './io.js';

export const CALL_METHODS = ['build', 'check', 'outline', 'targets'] as const;

/** A parsed `--call` value (buildx's buildflags.CallFunc). */
export interface CallFunc {
  name: 'check' | 'outline' | 'targets';
  json: boolean;
  ignoreStatus: boolean;
}

/**
 * buildx's ParseCallFunc: `NAME[,format=FORMAT][,ignorestatus=BOOL]`, any order;
 * `build` (the default) is no call at all; `lint` is check's older name.
 * @example
 *   parseCallFunc('outline,format=json'); // { name: 'outline', json: true, ignoreStatus: false }
 */
export function parseCallFunc(text: string): CallFunc | undefined {
  let name: string | undefined;
  let json = false;
  let ignoreStatus = false;
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      if (name !== undefined) throw new UsageError(`invalid print value: ${text}`);
      name = field;
      continue;
    }
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (key === 'format') {
      if (value !== 'json' && value !== 'text')
        throw new UsageError(`invalid --call format "${value}": must be json or text`);
      json = value === 'json';
    } else if (key === 'ignorestatus') {
      const b = parseBool(value);
      if (b === undefined)
        throw new UsageError(
          `invalid ignorestatus print value: ${value}: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      ignoreStatus = b;
    } else throw new UsageError(`invalid print field: ${field}`);
  }
  if (name === 'lint') name = 'check';
  if (name === undefined || name === '' || name === 'build') return undefined;
  if (name !== 'check' && name !== 'outline' && name !== 'targets')
    throw new UsageError(
      `invalid argument "${text}" for "--call" flag: unknown method "${name}": must be one of ${CALL_METHODS.join(', ')}`,
    );
  return { name, json, ignoreStatus };
}

/** Run the call and print its result; the exit code (a failure is thrown, for main to print). */
export async function callCommand(call: CallFunc, request: BuildRequest, io: Io): Promise<number> {
  const out = io.stdout;
  if (call.name === 'outline') {
    const o = await outline(request);
    out.write(call.json ? `${goJson(o)}\n` : printOutline(o));
    return 0;
  }
  if (call.name === 'targets') {
    const t = await targets(request);
    out.write(call.json ? `${goJson(t)}\n` : printTargets(t));
    return 0;
  }
  const r = await check(request);
  const name = sourceName(request);
  if (call.json) out.write(`${goJson(lintResults(r))}\n`);
  else out.write(printCheck(r, name));
  if (r.error) throw r.error;
  return r.warnings.length > 0 && !call.ignoreStatus ? 1 : 0;
}

/**
 * The name buildx shows the Dockerfile by in check output: `-f` as given, else
 * the context joined with "Dockerfile" (filepath.Join: `.` gives `Dockerfile`,
 * `-` gives `-/Dockerfile`), "stdin" for `-f -` (build/opt.go).
 */
function sourceName(request: BuildRequest): string {
  if (request.dockerfile === '-') return 'stdin';
  if (request.dockerfile !== undefined) return request.dockerfile;
  return join(request.context, 'Dockerfile');
}

/** buildx's text: the count, then each finding (sorted by line) with its source. */
export function printCheck(r: CheckResult, name: string): string {
  const n = r.warnings.length;
  let text = '';
  if (n > 0)
    text += `Check complete, ${n === 1 ? '1 warning has' : `${n} warnings have`} been found!\n`;
  const lines = r.text.split('\n');
  const sorted = r.warnings
    .map((w, i) => ({ w, i }))
    .sort((a, b) => a.w.span.line - b.w.span.line || a.i - b.i)
    .map(({ w }) => w);
  for (const w of sorted) {
    text += `\nWARNING: ${w.rule}${w.url ? ` - ${w.url}` : ''}\n${w.message}\n`;
    if (w.span.file === r.file) text += printSource(name, lines, sourceLocation(w.span));
  }
  if (r.error) {
    if (n > 0) text += '\n';
  } else if (n === 0) text += 'Check complete, no warnings found.\n';
  return text;
}

/** BuildKit's errdefs.Source.Print: the lines around a location, `>>>` at its own. */
export function printSource(name: string, lines: readonly string[], loc: SourceLocation): string {
  if (loc.ranges.length === 0) return '';
  let start = Math.min(...loc.ranges.map((r) => r.start.line));
  let end = Math.max(...loc.ranges.map((r) => Math.max(r.start.line, r.end.line)));
  if (start > lines.length || start < 1) return '';
  if (end > lines.length) end = lines.length;
  const pad = end === start ? 4 : 2;
  const first = start;
  for (let p = 0; p < pad;) {
    if (start > 1) {
      start--;
      p++;
    }
    if (end !== lines.length) {
      end++;
      p++;
    }
    p++;
  }
  let text = `${name}:${first}\n--------------------\n`;
  for (let i = start; i <= end; i++) {
    const here = loc.ranges.some(
      (r) => r.start.line <= i && Math.max(r.start.line, r.end.line) >= i,
    );
    text += ` ${String(i).padStart(3)} | ${here ? '>>>' : '   '} ${lines[i - 1]}\n`;
  }
  return `${text}--------------------\n`;
}

/** BuildKit's lint.LintResults, as `--call=check,format=json` prints it. */
function lintResults(r: CheckResult): unknown {
  const location = (span: { line: number; endLine: number }) => sourceLocation(span);
  return {
    // Go marshals an empty (nil) slice as null.
    warnings:
      r.warnings.length === 0
        ? null
        : r.warnings.map((w) => ({
            ruleName: w.rule,
            ...(w.description ? { description: w.description } : {}),
            ...(w.url ? { url: w.url } : {}),
            detail: w.message,
            location: w.span.file === r.file ? location(w.span) : { sourceIndex: -1 },
          })),
    sources: [
      {
        filename: r.file,
        data: Buffer.from(r.text).toString('base64'),
        language: 'Dockerfile',
      },
    ],
    ...(r.error
      ? {
          buildError: {
            message: r.error instanceof DockerfileError ? r.error.reason : r.error.message,
            location:
              r.error instanceof DockerfileError && r.error.span.file === r.file
                ? location(r.error.span)
                : {},
          },
        }
      : {}),
  };
}

/** BuildKit's outline.PrintOutline. */
export function printOutline(o: Outline): string {
  let text = '';
  if (o.name !== undefined || o.description !== undefined) {
    const rows = [['TARGET:', o.name ?? '(default)']];
    if (o.description !== undefined) rows.push(['DESCRIPTION:', o.description]);
    text += `${tabwrite(rows, 1)}\n`;
  }
  if (o.args)
    text += `${tabwrite(
      [
        ['BUILD ARG', 'VALUE', 'DESCRIPTION'],
        ...o.args.map((a) => [a.name, a.value ?? '', a.description ?? '']),
      ],
      3,
    )}\n`;
  for (const [title, list] of [
    ['SECRET', o.secrets],
    ['SSH', o.ssh],
  ] as const)
    if (list)
      text += `${tabwrite(
        [[title, 'REQUIRED'], ...list.map((s) => [s.name, s.required ? 'true' : ''])],
        3,
      )}\n`;
  return text;
}

/** BuildKit's targets.PrintTargets. */
export function printTargets(l: TargetList): string {
  const rows = [['TARGET', 'DESCRIPTION']];
  for (const t of l.targets) {
    let name = t.name ?? '';
    if (name === '' && t.default) name = '(default)';
    else if (t.default) name = `${name} (default)`;
    rows.push([name, t.description ?? '']);
  }
  return tabwrite(rows, 1);
}

/**
 * Go's text/tabwriter as these printers use it (minwidth 0, padding `pad`,
 * spaces): every cell but a row's last padded to its column's widest plus `pad`.
 */
export function tabwrite(rows: readonly (readonly string[])[], pad: number): string {
  const width = (s: string) => [...s].length;
  const widths: number[] = [];
  for (const row of rows)
    row.slice(0, -1).forEach((c, j) => (widths[j] = Math.max(widths[j] ?? 0, width(c) + pad)));
  return rows
    .map(
      (row) =>
        row
          .map((c, j) => (j < row.length - 1 ? c + ' '.repeat(widths[j]! - width(c)) : c))
          .join('') + '\n',
    )
    .join('');
}

/**
 * Go's json.MarshalIndent(v, "", "  "): the same layout as JSON.stringify, and
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as Go escapes them.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}
