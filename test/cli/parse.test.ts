/**
 * `tsbuild parse` end to end through the CLI entry: what a person sees, the
 * exit codes (0 ok, 1 bad Dockerfile, 2 bad usage), and the JSON shape.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const run = (argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
  cli(argv, opts);

function context(dockerfile: string, name = 'Dockerfile'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-cli-'));
  writeFileSync(join(dir, name), dockerfile);
  return dir;
}

describe('tsbuild parse', () => {
  it('lists stages with expanded instructions', async () => {
    const dir = context(
      'ARG V=1\nFROM busybox:$V AS base\nENV A=$V\nARG V\nENV B=$V\nRUN echo $B\n',
    );
    const r = await run(['parse', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('stage 0 "base"  from image busybox:1');
    // A global ARG is seen in a stage only once the stage declares it again.
    expect(r.stdout).toContain('    3  ENV A=""');
    expect(r.stdout).toContain('    5  ENV B=1');
    expect(r.stdout).toContain('    6  RUN echo $B');
  });

  it('prints the documented JSON with --json', async () => {
    const dir = context('FROM scratch AS a\nFROM a\nCMD ["x"]\n');
    const r = await run(['parse', '--json', dir]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.version).toBe(1);
    expect(json.instructions.map((i: { kind: string }) => i.kind)).toEqual(['FROM', 'FROM', 'CMD']);
    expect(json.graph.stages[1].base).toEqual({ kind: 'stage', index: 0 });
    expect(json.graph.order).toEqual([0, 1]);
  });

  it('reads -f, and -f - from standard input', async () => {
    const dir = context('FROM busybox\nLABEL from=file\n', 'Other.Dockerfile');
    const fromFile = await run(['parse', '-f', join(dir, 'Other.Dockerfile'), dir]);
    expect(fromFile.stdout).toContain('LABEL from=file');
    const fromStdin = await run(['parse', '-f', '-'], {
      stdin: 'FROM busybox\nLABEL from=stdin\n',
    });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toContain('LABEL from=stdin');
  });

  it('takes --build-arg K=V, and K alone from the environment', async () => {
    const dir = context('FROM busybox\nARG A\nARG B\nARG C\nLABEL a=$A b=$B c=$C\n');
    const r = await run(
      ['parse', '--build-arg', 'A=1', '--build-arg', 'B', '--build-arg', 'C', dir],
      {
        env: { B: 'from-env' },
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('LABEL a=1 b=from-env c=""');
  });

  it('says which stages --target needs and which it skips', async () => {
    const dir = context('FROM busybox AS a\nFROM busybox AS b\nFROM a AS c\n');
    const r = await run(['parse', '--target', 'c', dir]);
    expect(r.stdout).toContain('build order: a -> c');
    expect(r.stdout).toContain('skipped: b (not needed by target c)');
  });

  it('shows a Dockerfile mistake at its spot, without a stack trace, exit 1', async () => {
    const dir = context('FROM busybox\nCOPY --from /src /dst\n');
    const r = await run(['parse', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        `error: ${join(dir, 'Dockerfile')}:2:6: COPY --from requires a value`,
        '  2 | COPY --from /src /dst',
        '    |      ^^^^^^',
        '  hint: write --from=<value>',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe('');
  });

  it('points at the likely missing continuation', async () => {
    const dir = context('FROM busybox\nRUN apt-get update\n    && apt-get install -y curl\n');
    const r = await run(['parse', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(':3:5: unknown instruction: &&');
    expect(r.stderr).toContain('hint: line 2 does not end with a backslash');
  });

  it('names a missing Dockerfile, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbuild-cli-'));
    const r = await run(['parse', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: cannot read Dockerfile ${join(dir, 'Dockerfile')}: no such file\n`,
    );
  });

  it('reports an unknown target with the stage names, exit 1', async () => {
    const dir = context('FROM busybox AS a\nFROM busybox AS b\n');
    const r = await run(['parse', '--target', 'nope', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: target stage "nope" could not be found (stages: a, b)\n');
  });

  it('exits 2 on wrong usage', async () => {
    expect((await run(['parse', '--nope'])).code).toBe(2);
    expect((await run(['parse', 'a', 'b'])).code).toBe(2);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect((await run([])).code).toBe(2);
  });

  it('prints help with exit 0', async () => {
    const r = await run(['parse', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: tsbuild parse');
  });

  it('lists warnings with their rule names', async () => {
    const dir = context('FROM busybox\nENV legacy value\nCMD echo hi\n');
    const r = await run(['parse', dir]);
    expect(r.stdout).toContain(':2:1: LegacyKeyValueFormat:');
    expect(r.stdout).toContain(':3:1: JSONArgsRecommended:');
  });
});
