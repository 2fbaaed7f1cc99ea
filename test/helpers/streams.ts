/** Streams in tests: capture what a run writes, read a stream whole, list a tar's entries. */
import { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';

/** A Writable that keeps what it is given; `text()` is it as UTF-8. */
export function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The entry names of a tar, in order (read with tar-stream, an independent codec). */
export async function tarNames(layer: Buffer | Readable): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, s, next) => {
      names.push(h.name);
      s.on('end', next);
      s.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  if (Buffer.isBuffer(layer)) extract.end(layer);
  else layer.pipe(extract);
  await done;
  return names;
}
