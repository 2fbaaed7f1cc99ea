/**
 * Issue 13, "Parser time and memory", "Errors echo whole inputs" and
 * "-f /dev/zero": a Dockerfile of a few hundred bytes, or a few hundred
 * kilobytes, must come out as a parse or one DockerfileError — never a stack
 * overflow, a heap exhausted, minutes of work, or ten megabytes of echo — and
 * a Dockerfile that is not a regular file is refused before it is read.
 *
 * How these tests see "linear" without timing anything (no clock is read):
 * - Recursion is seen by depth: 20,000 chained stages or nested ONBUILDs were
 *   a RangeError, whatever the machine.
 * - Memory is seen by a heap limit: the inputs that used to need gigabytes
 *   run in a child `tsbuild parse` with a 128 MB heap, where the old code is
 *   killed (exit 134) and the new one answers with the bounded error.
 * - Pure CPU work (a quadratic loop with nothing kept) has no such witness
 *   short of a step counter in src/, which STYLE rule 11 forbids. Those tests
 *   use an input size at which the old code ran for minutes and the linear one
 *   for well under a second, and assert the result; the only clock is
 *   vitest's own test timeout, which a linear pass never comes near.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../src/api/parse.js';
import { Dockerignore } from '../../src/context/dockerignore.js';
import { parseDockerfile, parseNodes } from '../../src/dockerfile/parse.js';
import type { Node } from '../../src/dockerfile/ast.js';
import { DockerfileError, TsbuildError } from '../../src/errors.js';
import { caught, rejected } from '../helpers/caught.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

const dir = tempRoot('tsbuild-parser-');
const file = (name: string, text: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** The DockerfileError `parse` gives for `text`. */
const parseError = async (text: string) => {
  const e = await rejected(parse({ text }));
  expect(e).toBeInstanceOf(DockerfileError);
  return e as DockerfileError;
};

/** `ARG a0=0123456789abcdef`, then `ARG aN=$aN-1$aN-1`: a value that doubles per line. */
function doubling(lines: number): string {
  let s = 'FROM scratch\nARG a0=0123456789abcdef\n';
  for (let i = 1; i <= lines; i++) s += `ARG a${i}=$a${i - 1}$a${i - 1}\n`;
  return s;
}

/**
 * `tsbuild parse -f FILE` in a process of its own with a 128 MB heap: what
 * used to exhaust the heap dies there in seconds (exit 134), what is bounded
 * now answers with its one-line error.
 */
function parseInSmallHeap(path: string): Promise<{ code: number | null; stderr: string }> {
  const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
  const entry = join(import.meta.dirname, 'cli-child.ts');
  return new Promise((resolve) => {
    const child = spawn(vite, [entry, '--', 'parse', '-f', path], {
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=128' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('nothing recurses on the depth of the input', () => {
  it('20,000 chained stages FROM sN AS sN+1 parse, in order', async () => {
    let text = 'FROM scratch AS s0\n';
    for (let i = 0; i < 20_000; i++) text += `FROM s${i} AS s${i + 1}\n`;
    const r = await parse({ text });
    expect(r.graph.order).toHaveLength(20_001);
    expect(r.graph.order[0]).toBe(0);
    expect(r.graph.order[20_000]).toBe(20_000);
    expect(r.graph.stages[20_000]!.base).toEqual({ kind: 'stage', index: 19_999 });
  });

  it('20,000 nested ONBUILDs are the one chaining error, at the second', async () => {
    const e = await parseError(`FROM scratch\n${'ONBUILD '.repeat(20_000)}RUN x\n`);
    expect(e.code).toBe('ONBUILD_TRIGGER');
    expect(e.message).toBe("Dockerfile:2:9: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  });

  it('keeps ONBUILD ONBUILD RUN as nodes, and what a third ONBUILD holds as text', () => {
    const sub = (n: Node | undefined) => (n?.args.kind === 'sub' ? n.args.node : undefined);
    const two = parseNodes('FROM a\nONBUILD ONBUILD RUN x\n').nodes[1];
    expect(sub(sub(two))?.command).toBe('RUN');
    const three = parseNodes('FROM a\nONBUILD ONBUILD ONBUILD RUN x\n').nodes[1];
    expect(sub(sub(three))?.args).toMatchObject({ kind: 'string', text: 'RUN x' });
  });
});

describe('parsing is linear in the input', () => {
  it('200,000 comment lines before an instruction are its 200,000 comments', () => {
    // The comments were copied into a new array per line: 20,000 took 1 s, 200,000 minutes.
    const df = parseDockerfile(`FROM scratch\n${'# c\n'.repeat(200_000)}RUN x\n`);
    expect(df.nodes[1]!.comments).toHaveLength(200_000);
  });

  it('20,000 undefined variables each get their warning', async () => {
    // Each "did you mean" compared the name with every variable in scope: 8,000 lines took 18 s.
    let text = 'FROM scratch\n';
    for (let i = 0; i < 20_000; i++) text += `ENV v${i}=$u${i}\n`;
    const r = await parse({ text });
    expect(r.warnings.filter((w) => w.rule === 'UndefinedVar')).toHaveLength(20_000);
    expect(r.warnings[0]!.message).toBe("Usage of undefined variable '$u0'");
  });

  it('a replacement template of 100,000 `\\$x` is read once, not once per `$`', async () => {
    // `\$x` gets past the lexer as text; Go's template makes the `\` literal and `$x`
    // nothing. Each `$` re-split the rest of the template: 5 matches ran over ten minutes.
    const text = `FROM scratch\nARG a=abcde\nARG b=\${a//?/${'\\$x'.repeat(100_000)}}\n`;
    const r = await parse({ text });
    expect(r.graph.stages[0]!.steps.at(-1)!.args).toEqual({ b: '\\'.repeat(500_000) });
  });
});

describe('an expanded word has a bound', () => {
  it('the doubling ARG chain stops at the first value over 1 Mi characters', async () => {
    const e = await parseError(doubling(26));
    expect(e.code).toBe('EXPANSION_TOO_LARGE');
    // a16 is 16 × 2^16 = 1 Mi characters exactly; a17 would be 2 Mi.
    expect(e.message).toBe(
      'Dockerfile:19:13: ARG a17: expanded value is longer than 1048576 characters',
    );
    expect(e.span).toMatchObject({ line: 19, col: 13 });
  });

  it('a 442-byte doubling chain fails fast in a 128 MB heap (it used to take all memory)', async () => {
    const path = file('doubling', doubling(26));
    const r = await parseInSmallHeap(path);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: ${path}:19:13: ARG a17: expanded value is longer than 1048576 characters`,
    );
  }, 60_000);

  it('a replacement that would pass the bound stops as it grows', async () => {
    // 2^12 characters with each one replaced by 2^10: 4 Mi, refused before it is made.
    let text = 'FROM scratch\nARG a0=0123456789abcdef\n';
    for (let i = 1; i <= 8; i++) text += `ARG a${i}=$a${i - 1}$a${i - 1}\n`;
    text += 'ARG b=${a8//?/$a6}\n';
    const e = await parseError(text);
    expect(e.message).toBe(
      'Dockerfile:11:7: ARG b: expanded value is longer than 1048576 characters',
    );
  });
});

describe('what variables make in all has a bound', () => {
  const BUDGET =
    'variable expansion takes more than 33554432 characters and steps in this Dockerfile (values read and made, pattern matching, the build args each RUN gets, the variables each stage starts with)';

  it('1,000 references to a 1 Mi value: refused at the 15th, not a 1 Gi image config', async () => {
    let text = doubling(16);
    for (let i = 0; i < 1000; i++) text += `ENV b${i}=$a16\n`;
    const e = await parseError(text);
    expect(e.code).toBe('EXPANSION_TOO_LARGE');
    expect(e.message).toBe(`Dockerfile:33:13: ENV b14: ${BUDGET}`);
  });

  it('a pattern matched against a 1 Mi value runs out of steps, not for minutes', async () => {
    const e = await parseError(`${doubling(16)}ARG b=\${a16/${'?'.repeat(1000)}x/y}\n`);
    expect(e.message).toBe(`Dockerfile:19:7: ARG b: ${BUDGET}`);
  });

  it('8,000 ARG/RUN pairs (140 KB, 32 million build args in all) are refused in a 128 MB heap', async () => {
    let text = 'FROM scratch\n';
    for (let i = 0; i < 8000; i++) text += `ARG v${i}=1\nRUN x\n`;
    const path = file('arg-run', text);
    const r = await parseInSmallHeap(path);
    expect(r.code).toBe(1);
    // At the 988th RUN, which gets 988 build args: half a million in all so far.
    expect(r.stderr.split('\n')[0]).toBe(`error: ${path}:1977:1: ${BUDGET}`);
  }, 60_000);

  it('10,000 chained stages that each add an ARG are refused in a 128 MB heap', async () => {
    let text = 'FROM scratch AS s0\n';
    for (let i = 0; i < 10_000; i++) text += `ARG v${i}=1\nFROM s${i} AS s${i + 1}\n`;
    const path = file('stage-args', text);
    const r = await parseInSmallHeap(path);
    expect(r.code).toBe(1);
    // Stage 591 starts with 590 ARGs (each a variable too): half a million copied so far.
    expect(r.stderr.split('\n')[0]).toBe(`error: ${path}:1183:1: ${BUDGET}`);
  }, 60_000);

  it('an undefined name of 50,000 characters gets its warning, cut, with no hint', async () => {
    const name = 'a'.repeat(50_000);
    const path = file('long-name', `FROM scratch\nENV ${name}=1\nENV x=$${name}b\n`);
    const r = await parseInSmallHeap(path);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const parsed = await parse({ path });
    expect(parsed.warnings.map((w) => w.message)).toEqual([
      `Usage of undefined variable '$${'a'.repeat(120)}… (50001 characters)'`,
    ]);
  }, 60_000);
});

describe('errors show a readable excerpt of what they quote', () => {
  it('a 10 MB label word without = is quoted in 120 characters', async () => {
    const e = await parseError(`FROM scratch\nLABEL a=b ${'x'.repeat(10_000_000)}\n`);
    const x = (n: number) => 'x'.repeat(n);
    expect(e.code).toBe('MISSING_EQUALS');
    expect(e.render().split('\n')).toEqual([
      `Dockerfile:2:11: Syntax error - can't find = in "${x(119)}… (10000002 characters). Must be of the form: name=value`,
      `  2 | LABEL a=b ${x(110)}…`,
      `    |           ${'^'.repeat(90)}`,
    ]);
  });

  it('a 10 MB legacy label is cut in its hint too', async () => {
    const e = await parseError(`FROM scratch\nLABEL ${'x'.repeat(10_000_000)}\n`);
    const x = (n: number) => 'x'.repeat(n);
    expect(e.code).toBe('ARG_COUNT');
    expect(e.render().split('\n')).toEqual([
      'Dockerfile:2:7: LABEL must have two arguments',
      `  2 | LABEL ${x(114)}…`,
      `    |       ${'^'.repeat(90)}`,
      `  hint: write LABEL ${x(228)}… (10000018 characters)`,
    ]);
  });

  it('a caret 5,000 columns into a 50 KB line is drawn under a cut of the line', async () => {
    const line = `COPY${' '.repeat(5000)}--bogus=1 a b ${'y'.repeat(45_000)}`;
    const e = await parseError(`FROM scratch\n${line}\n`);
    expect(e.message).toBe('Dockerfile:2:5005: unknown flag --bogus for COPY');
    const [, source, caret] = e.render().split('\n');
    // The flag, half the rest of the 120 columns after it, the other half before.
    expect(source).toBe(`  2 | …${' '.repeat(56)}--bogus=1 a b ${'y'.repeat(50)}…`);
    expect(caret).toBe(`    | ${' '.repeat(57)}^^^^^^^^^`);
  });

  it('control characters in the line and the message are escaped, not sent to the terminal', async () => {
    const e = await parseError('FROM scratch\nEXPOSE \x1b[31m\u202e\n');
    expect(e.render().split('\n')).toEqual([
      'Dockerfile:2:8: invalid containerPort: \\x1b[31m\\u202e',
      '  2 | EXPOSE \\x1b[31m\\u202e',
      '    |        ^^^^^^^^^^^^^^',
    ]);
  });

  it('a binary .dockerignore line is quoted escaped and cut', () => {
    const bytes = Buffer.concat([
      Buffer.from('a\x1b[31m[\x00\xc2\x9b', 'latin1'),
      Buffer.alloc(5000, 'x'),
    ]);
    const e = caught(
      () => Dockerignore.parse(bytes.toString('utf8'), '.dockerignore'),
      TsbuildError,
    );
    expect(e.code).toBe('DOCKERIGNORE_PATTERN');
    expect(e.message).toBe(
      // JSON's escapes for what JSON escapes (\u001b), ours for the rest (\x9b, a C1 CSI).
      `.dockerignore:1: bad pattern "a\\u001b[31m[\\u0000\\x9b${'x'.repeat(100)}… (5021 characters): syntax error in pattern (malformed character class)`,
    );
  });
});

describe('-f names a file that is not a regular one', () => {
  let fifo: string;
  let socket: string;
  const server = createServer();
  beforeAll(async () => {
    fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    socket = join(dir, 'socket');
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  afterAll(() => server.close());

  const cases = () => [
    ['/dev/zero', 'a character device'],
    [fifo, 'a FIFO'],
    [socket, 'a socket'],
  ];

  it('parse refuses each at once, saying what it is', async () => {
    for (const [path, kind] of cases()) {
      const r = await cli(['parse', '-f', path!]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: cannot read Dockerfile ${path}: not a regular file (${kind})\n`,
      );
    }
    const r = await cli(['parse', '-f', dir]);
    expect(r.stderr).toBe(`error: cannot read Dockerfile ${dir}: is a directory\n`);
  });

  it('build refuses each at once, saying what it is', async () => {
    const root = tempRoot('tsbuild-parser-store-');
    const context = join(dir, 'context');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
    for (const [path, kind] of cases()) {
      const r = await cli(['build', '--root', root, '-f', path!, context]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: the Dockerfile ${path} is not a regular file (${kind})\n`);
    }
  });
});
