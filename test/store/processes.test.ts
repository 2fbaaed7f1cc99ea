/**
 * The lock across real processes: four tsbuild processes writing one store at
 * once lose no image and leave a valid index.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { tempRoot } from '../helpers/tmp.js';

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const bin = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const child = spawn(bin, [join(import.meta.dirname, 'add-images.ts'), ...args], {
      stdio: 'pipe',
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

describe('store lock across processes', () => {
  it(
    'four writers at once: every image listed, index.json whole',
    { timeout: 120_000 },
    async () => {
      const root = tempRoot();
      await Store.open(root);
      const names = ['alpha', 'beta', 'gamma', 'delta'];
      const results = await Promise.all(names.map((n) => run([root, n, '5'])));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8'));
      expect(index.manifests).toHaveLength(20);
      const tags = (await (await Store.open(root)).images()).flatMap((i) => i.tags).sort();
      expect(tags).toEqual(
        names.flatMap((n) => [0, 1, 2, 3, 4].map((i) => `docker.io/library/${n}:${i}`)).sort(),
      );
    },
  );
});
