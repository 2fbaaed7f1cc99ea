import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dockerignore } from '../../src/context/dockerignore.js';
import { TsbuildError } from '../../src/errors.js';
import { caught } from '../helpers/caught.js';
import { readCases } from './ignore-cases.js';

const cases = readCases();

describe('Dockerignore agrees with Docker 20.10 (test/fixtures/dockerignore/cases.txt)', () => {
  it('has the table it promises', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of cases) {
    const want = c.ours?.verdict ?? c.docker;
    it(`line ${c.lineNo}: ${c.cells[0]} | ${c.cells[1]} → ${want}`, () => {
      if (want === 'error') {
        const e = caught(() => Dockerignore.parse(c.patterns), TsbuildError);
        expect(e.code).toBe('DOCKERIGNORE_PATTERN');
        return;
      }
      const ig = Dockerignore.parse(c.patterns, '.dockerignore');
      const rel = c.path.replace(/\/$/, '');
      expect(ig.matches(rel).excluded).toBe(want === 'yes');
    });
  }
});

describe('Dockerignore.matches', () => {
  const ig = Dockerignore.parse(
    '# build output\nnode_modules\n\n*.log\n  !keep.log  \n/dist/\n',
    '.dockerignore',
  );

  it('names the deciding pattern as written and its line', () => {
    expect(ig.matches('node_modules/a/index.js')).toEqual({
      excluded: true,
      pattern: 'node_modules',
      line: 2,
    });
    expect(ig.matches('x.log')).toEqual({ excluded: true, pattern: '*.log', line: 4 });
    expect(ig.matches('keep.log')).toEqual({ excluded: false, pattern: '!keep.log', line: 5 });
    expect(ig.matches('dist/app.js')).toEqual({ excluded: true, pattern: '/dist/', line: 6 });
  });

  it('leaves alone what no pattern matches, and the context root', () => {
    expect(ig.matches('src/main.ts')).toEqual({ excluded: false });
    expect(ig.matches('.')).toEqual({ excluded: false });
    expect(Dockerignore.parse('*').matches('')).toEqual({ excluded: false });
    expect(Dockerignore.empty.matches('anything')).toEqual({ excluded: false });
    expect(Dockerignore.empty.file).toBeUndefined();
    expect(ig.file).toBe('.dockerignore');
  });

  it('reads CRLF files and drops a BOM on the first line only', () => {
    const crlf = Dockerignore.parse('\ufeffa\r\nb\r\n\ufeffc\r\n');
    expect(crlf.matches('a').excluded).toBe(true);
    expect(crlf.matches('b')).toEqual({ excluded: true, pattern: 'b', line: 2 });
    expect(crlf.matches('c').excluded).toBe(false);
    expect(crlf.matches('\ufeffc').excluded).toBe(true);
  });

  it('trims Unicode spaces as Go does, but not a BOM mid-file', () => {
    expect(Dockerignore.parse('\u00a0a\u3000').matches('a').excluded).toBe(true);
    expect(Dockerignore.parse('x\n\ufeffa').matches('a').excluded).toBe(false);
  });

  it('takes a cleaned path', () => {
    expect(ig.matches('./node_modules//x').excluded).toBe(true);
  });
});

describe('Dockerignore.parse errors', () => {
  it('points at the line of a bad pattern', () => {
    const e = caught(
      () => Dockerignore.parse('ok\n\nsrc/[a-\n', 'app.Dockerfile.dockerignore'),
      TsbuildError,
    );
    expect(e.code).toBe('DOCKERIGNORE_PATTERN');
    expect(e.data).toEqual({ file: 'app.Dockerfile.dockerignore', line: 3, pattern: 'src/[a-' });
    expect(e.message).toMatch(
      /^app\.Dockerfile\.dockerignore:3: bad pattern "src\/\[a-": syntax error/,
    );
  });

  it('refuses a lone ! and what Go regexp refuses', () => {
    expect(caught(() => Dockerignore.parse('a\n !  '), TsbuildError).data.line).toBe(2);
    // Valid for filepath.Match, but not a Go regexp: \e is no escape, [z-a] no range.
    expect(caught(() => Dockerignore.parse('\\e'), TsbuildError).message).toMatch(/invalid escape/);
    expect(caught(() => Dockerignore.parse('[z-a]'), TsbuildError).message).toMatch(/range/);
  });
});

describe('Dockerignore.mayIncludeUnder', () => {
  it('is false only when no later exception can reach under the directory', () => {
    const ig = Dockerignore.parse('build\nvendor\n!vendor/keep\ndocs/*\n!docs/*/README.md\n');
    expect(ig.mayIncludeUnder('build')).toBe(false);
    expect(ig.mayIncludeUnder('build/deep/er')).toBe(false);
    expect(ig.mayIncludeUnder('vendor')).toBe(true);
    expect(ig.mayIncludeUnder('vendor/other')).toBe(false);
    expect(ig.mayIncludeUnder('docs/a')).toBe(true);
    expect(ig.mayIncludeUnder('src')).toBe(true);
  });

  it('ignores exceptions that come before the excluding pattern', () => {
    expect(Dockerignore.parse('!dir/keep\ndir').mayIncludeUnder('dir')).toBe(false);
  });

  it('answers yes for exceptions it cannot rule out (** or classes)', () => {
    expect(Dockerignore.parse('dir\n!**/keep').mayIncludeUnder('dir')).toBe(true);
    expect(Dockerignore.parse('dir\n![a-z]ir/x').mayIncludeUnder('dir')).toBe(true);
  });

  it('never skips a directory holding a file the table includes', () => {
    for (const c of cases) {
      if ((c.ours?.verdict ?? c.docker) !== 'no') continue;
      const ig = Dockerignore.parse(c.patterns);
      const parts = c.path.replace(/\/$/, '').split('/');
      for (let n = 1; n <= parts.length; n++) {
        const dir = parts.slice(0, n).join('/');
        expect(ig.mayIncludeUnder(dir), `line ${c.lineNo}: ${dir}`).toBe(true);
      }
    }
  });
});

describe('Dockerignore on any input', () => {
  const TRICKY = [
    '*',
    '**',
    '?',
    '[',
    ']',
    '^',
    '!',
    '-',
    '\\',
    '/',
    '.',
    '..',
    '+',
    '(',
    ')',
    '|',
    '{',
    '}',
    '$',
    ':',
    '[:alpha:]',
    'a',
    'z',
    '0',
    'd',
    'x',
    'p',
    'é',
    '\n',
    ' ',
    '#',
  ];
  const text = fc.array(fc.constantFrom(...TRICKY), { maxLength: 24 }).map((a) => a.join(''));
  const path = fc
    .array(fc.constantFrom('a', 'b', 'd', '0', '.', '/', '*', ']', '^', 'é', '-'), {
      maxLength: 12,
    })
    .map((a) => a.join(''));

  it('parses or throws DOCKERIGNORE_PATTERN, and then matches without throwing', () => {
    fc.assert(
      fc.property(text, fc.array(path, { maxLength: 5 }), (t, paths) => {
        let ig: Dockerignore;
        try {
          ig = Dockerignore.parse(t);
        } catch (e) {
          expect(e).toBeInstanceOf(TsbuildError);
          expect((e as TsbuildError).code).toBe('DOCKERIGNORE_PATTERN');
          return;
        }
        for (const p of paths) {
          const m = ig.matches(p);
          // A directory the walker may skip holds nothing that is included.
          if (!ig.mayIncludeUnder(p)) {
            expect(m.excluded).toBe(true);
            expect(ig.matches(`${p}/x/y`).excluded).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Current Docker's rule; 20.10 left + ( ) | unescaped (the table's "ours" cells).
  it('takes a name without wildcards literally, whatever regexp characters it holds', () => {
    const name = fc
      .array(fc.constantFrom(...'aZ09.+()|{}$-,:=@%&\'"~é€😀'), { minLength: 1, maxLength: 12 })
      .map((a) => a.join(''))
      .filter((n) => n !== '.' && n !== '..');
    fc.assert(
      fc.property(name, (n) => {
        const ig = Dockerignore.parse(n);
        expect(ig.matches(n).excluded).toBe(true);
        expect(ig.matches(`${n}/inside`).excluded).toBe(true);
        expect(ig.matches(`${n}x`).excluded).toBe(false);
        expect(ig.matches(`x${n}`).excluded).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
