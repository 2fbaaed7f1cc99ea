/**
 * Reads the case files under test/fixtures/template/: blank-line separated
 * `key: value` lines, `#` comments. `data`, `headers` and `rows` hold JSON
 * and apply to the cases after them; `template` or `format` opens a case and
 * `output` or `error` closes it. A value starting with `"` is a JSON string.
 */
import { readFileSync } from 'node:fs';

export interface FixtureCase {
  /** Where the case starts, for failure messages: `exec.txt:12`. */
  where: string;
  input: string;
  want: { output: string } | { error: string };
  /** The JSON `data`, `headers` and `rows` in force for this case. */
  context: Readonly<Record<string, unknown>>;
}

const STICKY = new Set(['data', 'headers', 'rows']);

function decode(value: string): string {
  return value.startsWith('"') ? (JSON.parse(value) as string) : value;
}

export function readFixture(name: string, inputKey: 'template' | 'format'): FixtureCase[] {
  const url = new URL(`../../fixtures/template/${name}`, import.meta.url);
  const cases: FixtureCase[] = [];
  let context: Record<string, unknown> = {};
  let open: { where: string; input: string } | undefined;
  readFileSync(url, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '' || text.startsWith('#')) return;
      const where = `${name}:${i + 1}`;
      const m = /^(\w+): (.*)$/.exec(text);
      if (!m) throw new Error(`${where}: expected "key: value"`);
      const [, key = '', value = ''] = m;
      if (STICKY.has(key)) context = { ...context, [key]: JSON.parse(value) };
      else if (key === inputKey) open = { where, input: decode(value) };
      else if ((key === 'output' || key === 'error') && open) {
        const want = key === 'output' ? { output: decode(value) } : { error: decode(value) };
        cases.push({ ...open, want, context });
        open = undefined;
      } else throw new Error(`${where}: unexpected "${key}"`);
    });
  return cases;
}
