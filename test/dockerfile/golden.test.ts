/**
 * Golden files for the front end, BuildKit's testfiles layout:
 * test/fixtures/parse/<case>/Dockerfile, optional options.json
 * ({ buildArgs, target }), and result.json — the `tsbuild parse --json`
 * result, or { error: { code, message, rendered } } for a Dockerfile that must
 * fail. Folders are discovered; UPDATE_GOLDEN=1 rewrites the result files
 * (then read the diff: a golden file is only as right as its review).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/api/parse.js';
import { DockerfileError, TsbuildError } from '../../src/errors.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'parse');
const update = process.env.UPDATE_GOLDEN === '1';

async function run(dir: string): Promise<unknown> {
  const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const optionsFile = join(dir, 'options.json');
  const options = existsSync(optionsFile) ? JSON.parse(readFileSync(optionsFile, 'utf8')) : {};
  try {
    return await parse({ text, path: 'Dockerfile', ...options });
  } catch (e) {
    if (e instanceof DockerfileError) {
      return { error: { code: e.code, message: e.message, rendered: e.render() } };
    }
    if (e instanceof TsbuildError) return { error: { code: e.code, message: e.message } };
    throw e;
  }
}

describe('golden parse results', () => {
  const cases = readdirSync(root).sort();
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(10);
  });
  for (const name of cases) {
    it(name, async () => {
      const dir = join(root, name);
      const actual = JSON.parse(JSON.stringify(await run(dir)));
      const file = join(dir, 'result.json');
      if (update || !existsSync(file)) {
        writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
        if (!update) throw new Error(`${name}: no result.json; wrote one — review it, then rerun`);
      }
      expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
