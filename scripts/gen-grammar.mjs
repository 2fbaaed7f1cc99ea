// Compiles grammar/*.ne into src/dockerfile/*.gen.ts with nearley's compiler.
// Run by `npm run grammar`, which `npm run build`, `npm test` and `npm run lint`
// call first, so the generated file is never stale and never committed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nearleyc = join(root, 'node_modules', 'nearley', 'bin', 'nearleyc.js');

for (const file of readdirSync(join(root, 'grammar'))) {
  if (!file.endsWith('.ne')) continue;
  const out = join(root, 'src', 'dockerfile', file.replace(/\.ne$/, '.gen.ts'));
  const code = execFileSync(process.execPath, [nearleyc, join(root, 'grammar', file)], {
    encoding: 'utf8',
  });
  // nearleyc's TypeScript output predates strict mode; the generated file is
  // checked through the typed wrapper in parse-args.ts instead.
  const header = `// @ts-nocheck\n// GENERATED from grammar/${file} by scripts/gen-grammar.mjs. Do not edit.\n`;
  const previous = (() => {
    try {
      return readFileSync(out, 'utf8');
    } catch {
      return '';
    }
  })();
  if (previous !== header + code) writeFileSync(out, header + code);
}
