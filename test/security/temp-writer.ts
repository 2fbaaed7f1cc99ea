/**
 * A writer for temp-blobs.test.ts, run as its own process (through vite-node):
 * it streams a blob into the store and loads an archive, both of which stall
 * half-way, prints `ready` once both temp files are in tmp/, and waits to be
 * killed. Argument: the store's root.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { load } from '../../src/api/load.js';
import { Store } from '../../src/store/store.js';

const root = process.argv[2]!;
const store = await Store.open(root);

// A blob whose input never ends.
const blob = new PassThrough();
void store.blobs.put(blob).catch(() => undefined);
blob.write(Buffer.alloc(1 << 20, 1));

// An archive whose one big entry never ends: its first megabyte is unpacked into tmp/.
const pack = tar.pack();
const entry = pack.entry({ name: 'blobs/sha256/big', size: 64 << 20 }, () => undefined);
entry.write(Buffer.alloc(1 << 20, 2));
void load({ root, input: pack as unknown as Readable, env: {} }).catch(() => undefined);

const tmp = join(root, 'tmp');
for (;;) {
  const names = readdirSync(tmp);
  if (names.some((n) => n.startsWith('blob-')) && names.some((n) => n.startsWith('load-'))) break;
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
