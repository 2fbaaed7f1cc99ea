/**
 * Expansion is tested as data: the tables in test/fixtures/expand/ are ports of
 * BuildKit's shell tests (envVarTest, wordsTest, lex_test.go) plus our own rows;
 * each file's header says where its rows come from. What a one-line table row
 * cannot hold (newlines, NUL, a leading U+FEFF) is below, as code.
 */
// First: it starts counting before the code it counts is loaded.
import { work } from '../helpers/work.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { caught } from '../helpers/caught.js';
import { describe, expect, it } from 'vitest';
import {
  processWord,
  processWords,
  type EnvLookup,
  type ShellLexOptions,
} from '../../src/dockerfile/expand.js';
import { ExpansionError } from '../../src/errors.js';

interface Row {
  line: number;
  env: ReadonlyMap<string, string>;
  opts: ShellLexOptions;
  input: string;
  /** The expected fields after the input, as written. */
  want: string[];
}

const OPTION_NAMES = ['rawQuotes', 'rawEscapes', 'skipUnsetEnv', 'skipProcessQuotes'] as const;

function parseOptions(words: string[]): ShellLexOptions {
  const opts: ShellLexOptions = {};
  for (const w of words) {
    if (w === 'escape=`') opts.escape = '`';
    else if ((OPTION_NAMES as readonly string[]).includes(w))
      opts[w as (typeof OPTION_NAMES)[number]] = true;
    else throw new Error(`unknown option ${w}`);
  }
  return opts;
}

/**
 * Rows of a table. `wantFields` fields are taken from the right, so an input may
 * contain `|`; `platform` tables start with BuildKit's A/U column.
 */
function readTable(name: string, wantFields: number, platform: boolean): Row[] {
  const text = readFileSync(new URL(`../fixtures/expand/${name}`, import.meta.url), 'utf8');
  const rows: Row[] = [];
  let env = new Map<string, string>();
  let opts: ShellLexOptions = {};
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('#') || line.trim() === '') return;
    if (line === 'RESET') env = new Map();
    else if (line.startsWith('ENV ')) {
      const eq = line.indexOf('=');
      env = new Map(env).set(line.slice(4, eq), line.slice(eq + 1));
    } else if (line.startsWith('OPTIONS'))
      opts = parseOptions(line.slice(7).trim().split(/\s+/).filter(Boolean));
    else {
      const fields = line.split('|');
      if (platform) {
        const tag = fields.shift()?.trim();
        if (tag !== 'A' && tag !== 'U')
          throw new Error(`${name}:${i + 1}: platform must be A or U`);
      }
      const want = fields.splice(fields.length - wantFields);
      if (want.length !== wantFields || fields.length === 0)
        throw new Error(`${name}:${i + 1}: too few fields`);
      rows.push({ line: i + 1, env, opts, input: fields.join('|'), want });
    }
  });
  return rows;
}

const asFunction =
  (env: ReadonlyMap<string, string>): EnvLookup =>
  (n) =>
    env.get(n);

/** `error @N reason` in a table, or undefined for a value. */
function wantedError(s: string): { offset: number; reason: string } | undefined {
  const m = /^error @(\d+) (.*)$/s.exec(s);
  return m ? { offset: Number(m[1]), reason: m[2] as string } : undefined;
}

function expectError(fn: () => unknown, want: { offset: number; reason: string }): void {
  const e = caught(fn, ExpansionError);
  expect({ offset: e.offset, reason: e.reason }).toEqual(want);
}

const WORD_TABLES = ['env-vars.txt', 'env-vars-backtick.txt', 'options.txt'];

describe.each(WORD_TABLES)('processWord: %s', (name) => {
  const rows = readTable(name, 1, true);
  it('has rows', () => expect(rows.length).toBeGreaterThan(20));
  for (const row of rows) {
    const input = row.input.trim();
    const want = (row.want[0] as string).trim();
    it(`line ${row.line}: ${input}`, () => {
      const err = wantedError(want);
      for (const env of [row.env, asFunction(row.env)]) {
        if (err) {
          expectError(() => processWord(input, env, row.opts), err);
          expectError(() => processWords(input, env, row.opts), err);
        } else {
          expect(processWord(input, env, row.opts).word).toBe(want);
        }
      }
    });
  }
});

describe('processWords: words.txt', () => {
  const rows = readTable('words.txt', 1, false);
  it('has rows', () => expect(rows.length).toBeGreaterThan(40));
  for (const row of rows) {
    const input = row.input.trim();
    // As in BuildKit's wordsTest, only leading spaces are trimmed: trailing ones are part of the last word.
    const want = (row.want[0] as string).replace(/^ +/, '');
    it(`line ${row.line}: ${input}`, () => {
      const err = wantedError(want);
      for (const env of [row.env, asFunction(row.env)]) {
        if (err) expectError(() => processWords(input, env, row.opts), err);
        else
          expect(processWords(input, env, row.opts).words).toEqual(
            want === '' ? [] : want.split(','),
          );
      }
    });
  }
});

describe('matched and unmatched names: matches.txt', () => {
  const rows = readTable('matches.txt', 3, false);
  const names = (s: string): string[] => s.split(',').filter(Boolean).sort();
  it('has rows', () => expect(rows.length).toBeGreaterThan(40));
  for (const row of rows) {
    const [want, matched, unmatched] = row.want as [string, string, string];
    it(`line ${row.line}: ${row.input}`, () => {
      const err = wantedError(want);
      for (const env of [row.env, asFunction(row.env)]) {
        if (err) {
          expect([matched, unmatched]).toEqual(['', '']);
          expectError(() => processWord(row.input, env), err);
          continue;
        }
        const r = processWord(row.input, env);
        expect({
          word: r.word,
          matched: [...r.matched].sort(),
          unmatched: [...r.unmatched].sort(),
        }).toEqual({
          word: want,
          matched: names(matched),
          unmatched: names(unmatched),
        });
        const w = processWords(row.input, env);
        expect([[...w.matched].sort(), [...w.unmatched].sort()]).toEqual([
          names(matched),
          names(unmatched),
        ]);
      }
    });
  }
});

describe('what a table row cannot hold (checked against BuildKit lex.go too)', () => {
  const env = (o: Record<string, string>): ReadonlyMap<string, string> =>
    new Map(Object.entries(o));

  it('lets `*` and `?` match anything but a newline', () => {
    const e = env({ v: 'a\nb.x' });
    expect(processWord('${v#*.}', e).word).toBe('a\nb.x');
    expect(processWord('${v//?/-}', e).word).toBe('-\n---');
    expect(processWord('${v%%\n*}', e).word).toBe('a');
  });

  it('takes one character, not one UTF-16 unit, for `?`', () => {
    expect(processWord('${v#?}|${v%?}', env({ v: '😀x😀' })).word).toBe('x😀|😀x');
  });

  it('drops U+FEFF at the start of a word or a pattern, and keeps it elsewhere', () => {
    expect(processWord('\uFEFF$v', env({ v: '1' })).word).toBe('1');
    expect(processWord('a\uFEFF', env({})).word).toBe('a\uFEFF');
    expect(processWord('${v/\uFEFFa/x}', env({ v: 'abc' })).word).toBe('xbc');
    expect(processWord('${v%c\uFEFF}', env({ v: 'abc' })).word).toBe('ab');
  });

  it('passes NUL through', () => {
    expect(processWord('a\0b', env({})).word).toBe('a\0b');
  });

  it("splits at Go's white space: NBSP, NEL and em space too, but not U+FEFF", () => {
    const v = 'a\u00a0b\u2003c\ufeffd\u0085e\nf';
    expect(processWords('$v', env({ v })).words).toEqual(['a', 'b', 'c\ufeffd', 'e', 'f']);
    expect(processWords('a\u00a0b', env({})).words).toEqual(['a', 'b']);
  });

  it('counts offsets in UTF-16 units', () => {
    expectError(() => processWord('😀${', env({})), {
      offset: 4,
      reason: "syntax error: missing '}'",
    });
    expectError(() => processWord('😀${}', env({})), {
      offset: 4,
      reason: 'syntax error: bad substitution',
    });
  });

  it('throws an ExpansionError with code EXPANSION', () => {
    const e = caught(() => processWord('${x:?is required}', env({})), ExpansionError);
    expect([e.code, e.message, e.offset]).toEqual(['EXPANSION', 'x: is required', 0]);
  });

  it('allows 1000 nested ${} and refuses more, where Node would run out of stack', () => {
    const nest = (n: number): string => '${a:-'.repeat(n) + 'x' + '}'.repeat(n);
    expect(processWord(nest(1000), env({})).word).toBe('x');
    expectError(() => processWord(nest(1001), env({})), {
      offset: 5000,
      reason: 'syntax error: more than 1000 nested ${}',
    });
  });
});

describe('properties', () => {
  const special = fc.constantFrom(
    ...'${}:-+?#%/\\\'"` *a_1\n@'.split(''),
    '${',
    'a}',
    '😀',
    '\uFEFF',
  );
  const word = fc
    .array(fc.oneof(special, fc.string({ maxLength: 3 })), { maxLength: 40 })
    .map((a) => a.join(''));
  const options = fc.record({
    escape: fc.constantFrom<'\\' | '`'>('\\', '`'),
    rawQuotes: fc.boolean(),
    rawEscapes: fc.boolean(),
    skipUnsetEnv: fc.boolean(),
    skipProcessQuotes: fc.boolean(),
  });
  const vars = new Map([
    ['a', 'x y'],
    ['_', ''],
    ['1', '*'],
  ]);

  it('either expands or throws an ExpansionError inside the input, never anything else', () => {
    fc.assert(
      fc.property(word, options, (w, opts) => {
        for (const run of [
          () => processWord(w, vars, opts).word,
          () => processWords(w, vars, opts).words.join(' '),
        ]) {
          try {
            expect(typeof run()).toBe('string');
          } catch (e) {
            if (!(e instanceof ExpansionError)) throw e;
            expect(e.offset).toBeGreaterThanOrEqual(0);
            expect(e.offset).toBeLessThanOrEqual(w.length);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('expands a word without `$`, quotes or escapes to itself, as one word per run of non-space', () => {
    const plain = fc.string().filter((s) => !/[$'"\\`]/.test(s) && !s.startsWith('\uFEFF'));
    fc.assert(
      fc.property(plain, (s) => {
        expect(processWord(s, vars).word).toBe(s);
      }),
    );
  });

  // Each at its size n and at n/8, with work counted by test/helpers/work.ts:
  // it grows as the input does (7.x times measured), never 10 times, where
  // matching that backtracks or rescans, or a word rebuilt per character,
  // would take 64 times.
  it.each([
    [
      'patterns over a long value',
      (n: number) =>
        processWord(
          '${v//?/x}${v//a*/y}${v%%*b}${v#*a*b*a*b*z}${v//b/$0}',
          new Map([['v', 'ab'.repeat(n)]]),
        ),
      50_000,
    ],
    ['many words', (n: number) => processWords('"$v" '.repeat(n), new Map([['v', 'a b']])), 20_000],
    [
      'nested defaults',
      (n: number) => processWords(`${'${v:-'.repeat(n)}${'}'.repeat(n)}`, new Map([['v', 'a b']])),
      900,
    ],
  ])('stays linear (%s): 8 times the input takes at most 10 times the work', (_, run, n) => {
    const small = Math.floor(n / 8);
    run(small); // not counted: what happens only the first time
    const base = work(() => run(small));
    expect(work(() => run(n))).toBeLessThanOrEqual(10 * base);
  });
});
