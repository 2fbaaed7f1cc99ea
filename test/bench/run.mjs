// npm run bench: runs every benchmark under test/bench/ against the built dist/.
// Benchmarks report; the test suite asserts behaviour.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const file of readdirSync(here).sort()) {
  if (!file.endsWith('.bench.mjs')) continue;
  console.log(`# ${file}`);
  await import(pathToFileURL(join(here, file)).href);
}
