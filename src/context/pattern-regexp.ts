/**
 * A cleaned .dockerignore pattern as the RegExp Docker matches paths with.
 *
 * Docker (moby's fileutils/patternmatcher `compile`) does not implement glob
 * matching: it rewrites the pattern into a Go regexp — `**` → `(.*\/)?` (or
 * `.*` at the end; `\/` is a `/`), `*` → `[^/]*`, `?` → `[^/]`, `.+()|{}$` escaped, `\x` kept
 * as the regexp escape `\x`, and everything else, `[`, `]` and `^` included,
 * copied as is — and lets Go's regexp engine decide. So `a^b` never matches
 * (`^` is an anchor), `[*]` is the class `[[^/]` followed by `*]`, and `\d`
 * means a digit. Docker 20.10 confirmed each of these (see
 * test/fixtures/dockerignore/cases.txt). We build that same Go source and
 * translate it to an equivalent JS RegExp ('v' mode, every literal as \u{…});
 * where Go's regexp would reject it, so do we.
 *
 * (Newer patternmatcher releases skip the regexp for some patterns — exact,
 * prefix and suffix shortcuts — which changes `a^b` and `**foo`; Docker
 * 20.10 has no shortcuts, and neither do we.)
 */

/** Go regexp source for a cleaned pattern, character for character what Docker builds. */
export function dockerRegexpSource(pattern: string): string {
  const chars = [...pattern];
  let re = '^';
  for (let i = 0; i < chars.length;) {
    const c = chars[i++]!;
    if (c === '*') {
      if (chars[i] === '*') {
        i++;
        if (chars[i] === '/') i++; // `**/` is `**`
        re += i >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if ('.+()|{}$'.includes(c)) {
      re += `\\${c}`;
    } else if (c === '\\') {
      re += i < chars.length ? `\\${chars[i++]}` : '\\\\';
    } else {
      re += c;
    }
  }
  return `${re}$`;
}

export class RegexpSyntaxError extends Error {}

/** A JS RegExp that accepts exactly the strings Go's regexp.MatchString accepts for `source`. */
export function goRegExp(source: string): RegExp {
  return new RegExp(new GoRegexp(source).translate(), 'v');
}

const lit = (cp: number): string => `\\u{${cp.toString(16)}}`;
const cps = (s: string): string => [...s].map((c) => lit(c.codePointAt(0)!)).join('');

/** Go's \s and \w are ASCII-only; JS's \s is not. */
const PERL: Record<string, string> = {
  d: '0-9',
  s: cps('\t\n\f\r '),
  w: '0-9A-Za-z_',
};
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: `${lit(0)}-${lit(0x7f)}`,
  blank: cps('\t '),
  cntrl: `${lit(0)}-${lit(0x1f)}${lit(0x7f)}`,
  digit: '0-9',
  graph: `${lit(0x21)}-${lit(0x7e)}`,
  lower: 'a-z',
  print: `${lit(0x20)}-${lit(0x7e)}`,
  punct: `${lit(0x21)}-${lit(0x2f)}${lit(0x3a)}-${lit(0x40)}${lit(0x5b)}-${lit(0x60)}${lit(0x7b)}-${lit(0x7e)}`,
  space: cps('\t\n\v\f\r '),
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/**
 * The part of Go's regexp/syntax (Perl flags) that Docker's output can reach:
 * literals, escapes, classes (with POSIX and Perl classes inside), `^`, `$`,
 * `.`, groups and the `*`/`?` the rewrite emits.
 */
class GoRegexp {
  private readonly s: string[];
  private i = 0;

  constructor(source: string) {
    this.s = [...source];
  }

  translate(): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++]!;
      if (c === '\\') out += this.escape(false);
      else if (c === '[') out += this.klass();
      else if (c === '.')
        out += '[^\\n]'; // Go's `.` matches \r, JS's does not
      else if ('^$()*?'.includes(c)) out += c;
      else out += lit(c.codePointAt(0)!);
    }
    return out;
  }

  /** After a `\`: a JS fragment (a class body item when `inClass`). */
  private escape(inClass: boolean): string {
    const c = this.s[this.i++];
    if (c === undefined) throw new RegexpSyntaxError('trailing backslash at end of expression');
    if (!isAlnum(c) && c.codePointAt(0)! < 0x80) return lit(c.codePointAt(0)!);
    if (c in SIMPLE_ESCAPES) return lit(SIMPLE_ESCAPES[c]!);
    if (/[0-7]/.test(c)) return lit(this.octal(c));
    if (c === 'x') return lit(this.hex());
    const lower = c.toLowerCase();
    if (lower in PERL) {
      const body = PERL[lower]!;
      if (c === lower) return inClass ? body : `[${body}]`;
      return `[^${body}]`;
    }
    if (c === 'p' || c === 'P') {
      const name = this.s[this.i++];
      if (name === undefined || !/^[CLMNPSZ]$/.test(name))
        throw new RegexpSyntaxError(`invalid character class range: \\${c}${name ?? ''}`);
      return `\\${c}{${name}}`;
    }
    if (!inClass) {
      if (c === 'A') return '^';
      if (c === 'z') return '$';
      if (c === 'b' || c === 'B') return `\\${c}`;
    }
    throw new RegexpSyntaxError(`invalid escape sequence: \\${c}`);
  }

  /** `\1`–`\7` must be followed by another octal digit (Go has no backreferences). */
  private octal(first: string): number {
    if (first !== '0' && !/[0-7]/.test(this.s[this.i] ?? ''))
      throw new RegexpSyntaxError(`invalid escape sequence: \\${first}`);
    let v = Number(first);
    for (let n = 0; n < 2 && /[0-7]/.test(this.s[this.i] ?? ''); n++) {
      v = v * 8 + Number(this.s[this.i++]);
    }
    return v;
  }

  private hex(): number {
    const h = this.s.slice(this.i, this.i + 2).join('');
    if (!/^[0-9A-Fa-f]{2}$/.test(h))
      throw new RegexpSyntaxError(`invalid escape sequence: \\x${h}`);
    this.i += 2;
    return parseInt(h, 16);
  }

  /** After a `[`: Go's parseClass; `]` or `-` first is literal, `[:name:]` is POSIX. */
  private klass(): string {
    let negate = false;
    if (this.s[this.i] === '^') {
      negate = true;
      this.i++;
    }
    const items: string[] = [];
    for (let first = true; first || this.s[this.i] !== ']'; first = false) {
      if (this.i >= this.s.length) throw new RegexpSyntaxError('missing closing ]');
      const posix = this.posixClass();
      if (posix !== undefined) {
        items.push(posix);
        continue;
      }
      const lo = this.classChar();
      if (typeof lo === 'string') {
        items.push(lo);
        continue;
      }
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length) {
        this.i++;
        const hi = this.classChar();
        if (typeof hi === 'string' || hi < lo)
          throw new RegexpSyntaxError('invalid character class range');
        items.push(`${lit(lo)}-${lit(hi)}`);
      } else {
        items.push(lit(lo));
      }
    }
    this.i++; // the closing ]
    return `[${negate ? '^' : ''}${items.map((it) => (it.startsWith('[') ? it : `[${it}]`)).join('')}]`;
  }

  /** A code point, or a class fragment for `\d`, `\pL`, … */
  private classChar(): number | string {
    const c = this.s[this.i++]!;
    if (c !== '\\') return c.codePointAt(0)!;
    const e = this.escape(true);
    const single = /^\\u\{([0-9a-f]+)\}$/.exec(e);
    return single ? parseInt(single[1]!, 16) : e;
  }

  private posixClass(): string | undefined {
    if (this.s[this.i] !== '[' || this.s[this.i + 1] !== ':') return undefined;
    const rest = this.s.slice(this.i + 2).join('');
    const end = rest.indexOf(':]');
    if (end < 0) return undefined;
    let name = rest.slice(0, end);
    const negate = name.startsWith('^');
    if (negate) name = name.slice(1);
    const body = POSIX[name];
    if (body === undefined)
      throw new RegexpSyntaxError(`invalid character class range: [:${name}:]`);
    this.i += 2 + [...rest.slice(0, end)].length + 2;
    return `[${negate ? '^' : ''}${body}]`;
  }
}
