/**
 * Reference parsing is tested as data: test/fixtures/reference/references.txt
 * holds distribution/reference's own cases as the Docker CLI sees them (its
 * header says where each group comes from). Below the table: round trips,
 * registryHost, and the property that no input hangs the parser or escapes as
 * anything but a ReferenceError.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caught } from '../helpers/caught.js';
import {
  ReferenceError,
  familiarReference,
  formatReference,
  parseReference,
  registryHost,
  type Reference,
} from '../../src/image/reference.js';

interface ValidRow {
  line: number;
  input: string;
  want: Reference;
  canonical: string;
  familiar: string;
}

interface ErrorRow {
  line: number;
  input: string;
  reason: string;
}

/** `{s*n}` is s repeated n times; `""` is the empty string. */
function cell(text: string): string {
  const t = text.trim();
  if (t === '""') return '';
  return t.replace(/\{([^*}]+)\*(\d+)\}/g, (_m, s: string, n: string) => s.repeat(Number(n)));
}

function readTable(): { valid: ValidRow[]; errors: ErrorRow[] } {
  const url = new URL('../fixtures/reference/references.txt', import.meta.url);
  const valid: ValidRow[] = [];
  const errors: ErrorRow[] = [];
  readFileSync(url, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '' || text.startsWith('#')) return;
      const f = text.split('|').map(cell);
      const line = i + 1;
      if (f.length === 3 && f[1] === 'error') {
        errors.push({ line, input: f[0] ?? '', reason: f[2] ?? '' });
        return;
      }
      if (f.length !== 7) throw new Error(`references.txt:${line}: expected 3 or 7 fields`);
      const [
        input = '',
        domain = '',
        path = '',
        tag = '',
        digest = '',
        canonical = '',
        familiar = '',
      ] = f;
      const opt = (v: string) => (v === '-' ? undefined : v);
      valid.push({
        line,
        input,
        want: { domain, path, tag: opt(tag), digest: opt(digest) },
        canonical,
        familiar,
      });
    });
  return { valid, errors };
}

const { valid, errors } = readTable();
const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

describe('references.txt', () => {
  it('has the rows it should', () => {
    expect(valid.length).toBeGreaterThanOrEqual(40);
    expect(errors.length).toBeGreaterThanOrEqual(40);
  });

  it.each(valid.map((r) => [`${r.line}: ${short(r.input)}`, r] as const))('%s', (_name, row) => {
    const ref = parseReference(row.input);
    expect(ref).toEqual(row.want);
    expect(formatReference(ref)).toBe(row.canonical);
    expect(familiarReference(ref)).toBe(row.familiar);
    // Both printed forms name the same image again.
    expect(parseReference(row.canonical)).toEqual(row.want);
    expect(parseReference(row.familiar)).toEqual(row.want);
  });

  it.each(errors.map((r) => [`${r.line}: ${short(r.input)}`, r] as const))('%s', (_name, row) => {
    const e = caught(() => parseReference(row.input), ReferenceError);
    expect(e.code).toBe('INVALID_REFERENCE');
    expect(e.reason).toBe(row.reason);
    expect(e.data).toEqual({ reference: row.input, reason: row.reason });
    expect(e.message).toContain(row.reason);
  });
});

describe('registryHost', () => {
  it.each([
    ['docker.io', 'registry-1.docker.io'],
    ['index.docker.io', 'registry-1.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
  ])('%s → %s', (domain, host) => {
    expect(registryHost(domain)).toBe(host);
  });
});

/** Parses, or throws a ReferenceError; anything else fails the property. */
function check(s: string): void {
  try {
    const ref = parseReference(s);
    expect(parseReference(formatReference(ref))).toEqual(ref);
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
  }
}

const PIECES = ['a', 'Z', '0', 'f', '.', '_', '__', '-', '--', '/', ':', '@', '[', ']', '::1'];
PIECES.push('sha256:', 'localhost', 'docker.io', 'library/', '5000', 'ff'.repeat(16), ' ');

describe('robustness', () => {
  it('random text over the reference alphabet parses or throws a ReferenceError', () => {
    const text = fc
      .array(fc.constantFrom(...PIECES), { maxLength: 40 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (s) => check(s)),
      { numRuns: 5000 },
    );
  });

  it('arbitrary unicode parses or throws a ReferenceError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (s) => check(s)),
      { numRuns: 2000 },
    );
  });

  it('pathological inputs finish in linear time', () => {
    const n = 50_000;
    const cases = [
      'a'.repeat(n) + '!',
      `${'a-'.repeat(n)}!`,
      `${'a.'.repeat(n)}a:!/x`,
      `${'a-a.'.repeat(n)}-/x`,
      `x.${'a'.repeat(n)}-/x`,
      `${'a__'.repeat(n)}_/x`,
      `[${':'.repeat(n)}/x`,
      `x@${'a+'.repeat(n)}:f`,
      `x@sha256:${'f'.repeat(n)}g`,
      `a/${'a/'.repeat(n)}A`,
      `x:${'a'.repeat(n)}`,
    ];
    for (const s of cases) {
      const start = performance.now();
      check(s);
      expect(performance.now() - start, short(s)).toBeLessThan(200);
    }
  });
});
