/**
 * Every command's --help: flag descriptions in one column, past the longest
 * flag, continuation lines under them, as docker's (cobra's) help is laid out.
 * The commands are read from `tsbuild --help`, so a new one is checked too.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const VERBS: Record<string, string[][]> = {
  image: [['image', 'ls']],
  container: [
    ['container', 'inspect'],
    ['container', 'prune'],
  ],
  cache: [['cache', 'du']],
};

const FLAG = /^( {2}-\S, | {6})--[\w-]+( [a-z]+)?( {2,})\S/;

async function helps(): Promise<[string, string][]> {
  const top = (await cli(['--help'])).stdout;
  const names = [...top.slice(top.indexOf('Commands:')).matchAll(/^ {2}([a-z]+) /gm)].map(
    (m) => m[1]!,
  );
  const out: [string, string][] = [];
  for (const name of names)
    for (const argv of VERBS[name] ?? [[name]]) {
      const r = await cli([...argv, '--help']);
      out.push([argv.join(' '), r.stdout]);
    }
  return out;
}

describe('--help', () => {
  it('every command: descriptions in one column, continuations under them', async () => {
    const all = await helps();
    expect(all.length).toBeGreaterThan(25);
    for (const [command, text] of all) {
      const lines = text.split('\n');
      const columns = new Set<number>();
      let last = -1;
      for (const line of lines) {
        const m = FLAG.exec(line);
        if (m) {
          last = line.length - line.slice(m[0].length - 1).length;
          columns.add(last);
        } else if (last >= 0 && /^ {8,}\S/.test(line)) columns.add(line.search(/\S/));
        else last = -1;
      }
      expect({ command, columns: [...columns] }).toEqual({
        command,
        columns: columns.size === 0 ? [] : [Math.max(27, ...columns)],
      });
    }
  });

  it('build --help: a long flag keeps its description in the column', async () => {
    const text = (await cli(['build', '--help'])).stdout;
    const at = (flag: string) => {
      const line = text.split('\n').find((l) => l.includes(`${flag}  `))!;
      const end = line.indexOf(flag) + flag.length;
      return end + line.slice(end).search(/\S/);
    };
    expect(at('--insecure-registry list')).toBe(at('--tag list'));
    expect(at('--metadata-file string')).toBe(at('--tag list'));
  });

  it('build --help says what auto picks off a terminal, and why', async () => {
    const text = (await cli(['build', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      "auto: the live tty view when stderr is a terminal (TERM not dumb); otherwise plain, BuildKit's text (#N lines, on stderr), as docker build and buildx pick it: what CI logs show and their readers expect.",
    );
  });
});
