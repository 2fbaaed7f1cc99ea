/**
 * `logs`: a container's output back from its json-file log
 * (container-log.ts), entry by entry, stream by stream. Following polls the
 * file: no daemon pushes lines, and the writer may be another process (the
 * supervisor). It ends once the container is no longer running — its
 * supervisor recorded the end, or is gone — and what was written before that
 * has been read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { liveState } from '../store/containers.js';
import type { Store } from '../store/store.js';
import { settleDead } from './container-rootfs.js';
import { openStore, type StoreOptions } from './store.js';

/** How often a followed log is read again. */
const FOLLOW_POLL_MS = 100;
const CHUNK = 64 * 1024;

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** The text as written (a line with its \n, or the last part of the output without one). */
  log: string;
  /** When it was written: RFC 3339, UTC. */
  time: string;
}

export interface LogsRequest extends StoreOptions {
  /** ID, name or ID prefix. */
  container: string;
  /** `-f`: go on reading until the container has ended. */
  follow?: boolean;
  /** `--tail N`: only the last N entries written so far (then, following, all new ones). */
  tail?: number;
  /**
   * Stops following: the iteration ends without an error. Unlike the APIs that
   * reject with `signal.reason`: a reader that has read enough has not failed.
   */
  signal?: AbortSignal;
}

/**
 * The container's log entries. Throws NO_SUCH_CONTAINER before the first one.
 * @example
 *   for await (const e of await containerLogs({ container: 'ctr', follow: true }))
 *     (e.stream === 'stdout' ? process.stdout : process.stderr).write(e.log);
 */
export async function containerLogs(req: LogsRequest): Promise<AsyncIterable<LogEntry>> {
  const store = await openStore(req);
  await settleDead(store);
  const record = await store.containers.resolve(req.container);
  return entries(store, record.id, req);
}

async function* entries(store: Store, id: string, req: LogsRequest): AsyncGenerator<LogEntry> {
  const file = await open(store.containers.logPath(id), 'r').catch(() => undefined);
  if (!file) return; // Never started: no output.
  try {
    const reader = new LineReader(file);
    const running = async () => {
      const r = await store.containers.get(id);
      return r !== undefined && liveState(r.state).status === 'running';
    };
    // Checked before each read: the end it sees was written before the last read.
    let live = req.follow === true && (await running());
    if (req.tail !== undefined) yield* await lastOf(reader, req.tail);
    for (;;) {
      for (let batch = await reader.next(); batch; batch = await reader.next()) yield* batch;
      if (!live || req.signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      live = await running();
    }
  } finally {
    await file.close();
  }
}

/** The last `n` entries of what is written so far, holding no more than `n`. */
async function lastOf(reader: LineReader, n: number): Promise<LogEntry[]> {
  const ring: LogEntry[] = [];
  let at = 0;
  for (let batch = await reader.next(); batch; batch = await reader.next())
    for (const e of batch) {
      if (n === 0) continue;
      if (ring.length < n) ring.push(e);
      else ring[at] = e;
      at = (at + 1) % n;
    }
  return ring.length < n ? ring : [...ring.slice(at), ...ring.slice(0, at)];
}

/** Whole JSON lines from where the last read stopped; a partial last line waits for its end. */
class LineReader {
  private position = 0;
  private rest = Buffer.alloc(0);
  private readonly buf = Buffer.alloc(CHUNK);

  constructor(private readonly file: FileHandle) {}

  /** The entries of the next chunk of the file (maybe none); undefined at its end. */
  async next(): Promise<LogEntry[] | undefined> {
    const { bytesRead } = await this.file.read(this.buf, 0, CHUNK, this.position);
    if (bytesRead === 0) return undefined;
    this.position += bytesRead;
    const out: LogEntry[] = [];
    let data = Buffer.concat([this.rest, this.buf.subarray(0, bytesRead)]);
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      const entry = parseEntry(data.subarray(0, nl).toString('utf8'));
      if (entry) out.push(entry);
      data = data.subarray(nl + 1);
    }
    this.rest = Buffer.from(data);
    return out;
  }
}

function parseEntry(line: string): LogEntry | undefined {
  try {
    const v = JSON.parse(line) as Partial<LogEntry>;
    if (typeof v.log !== 'string' || (v.stream !== 'stdout' && v.stream !== 'stderr'))
      return undefined;
    return { stream: v.stream, log: v.log, time: typeof v.time === 'string' ? v.time : '' };
  } catch {
    // A line cut short by a full disk or a kill: skipped, as Docker's reader skips it.
    return undefined;
  }
}
