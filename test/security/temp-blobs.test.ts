/**
 * Issue 13, "Resources and failures": what a killed writer leaves in the store's
 * tmp/ (a temp blob, a half-unpacked archive) is removed by the next command that
 * takes the store's lock, however new it is; what a live writer is writing stays,
 * however old. The writers are real processes, killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importImage } from '../../src/api/import.js';
import { tempName } from '../../src/util/temp-owner.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

let root: string;
let tmp: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  root = tempRoot('tsbuild-temps-');
  tmp = join(root, 'tmp');
  await importImage({ root, path: await busyboxRootfsTar(), tag: 'busybox:latest', env: {} });
});

afterEach(async () => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) await kill(c);
});

/** A writer process (temp-writer.ts) with a stalled blob and a stalled load in tmp/. */
async function writer(): Promise<ChildProcess> {
  const child = spawn(
    join(process.cwd(), 'node_modules/.bin/vite-node'),
    [join(__dirname, 'temp-writer.ts'), root],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`the writer exited (${code}) before it was ready`)),
    );
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** The temp names in tmp/ written by `pid` (the pid is the second field of the name). */
const ownedBy = (pid: number) => readdirSync(tmp).filter((n) => n.split('-')[1] === String(pid));

/** A command that takes the store's lock. */
async function tag(name: string): Promise<void> {
  expect((await cli(['tag', '--root', root, 'busybox', name])).code).toBe(0);
}

describe("a killed writer's temp files", () => {
  it('are removed by the next command that takes the lock, new as they are', async () => {
    const child = await writer();
    const left = ownedBy(child.pid!);
    expect(left.map((n) => n.split('-')[0]).sort()).toEqual(['blob', 'load']);
    await kill(child);
    // Still there: nothing has taken the lock since.
    expect(ownedBy(child.pid!)).toEqual(left);
    await tag('after:1');
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);

  it("while a live writer's stay, however old they look, until it is gone", async () => {
    const live = await writer();
    const dead = await writer();
    await kill(dead);
    const old = new Date(Date.now() - 24 * 3_600_000);
    for (const n of ownedBy(live.pid!)) utimesSync(join(tmp, n), old, old);
    await tag('after:1');
    expect(ownedBy(dead.pid!)).toEqual([]);
    expect(ownedBy(live.pid!)).toHaveLength(2);
    // prune, which removes old leftovers, knows this one is not one.
    expect((await cli(['prune', '--root', root])).code).toBe(0);
    expect(ownedBy(live.pid!)).toHaveLength(2);
    await kill(live);
    await tag('after:2');
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);
});

describe('who a temp name belongs to', () => {
  it('a pid that now belongs to another process is a dead writer; one that cannot be judged stays', async () => {
    const mine = basename(tempName(tmp, 'blob'));
    const [kind, pid, , host, rand] = mine.split('-');
    // This process's pid with another start time: the pid was reused since.
    const reused = [kind, pid, '1', host, rand].join('-');
    // Another boot, machine or pid namespace: its pid means nothing here.
    const elsewhere = [kind, '1', '1', '00000000', rand].join('-');
    for (const n of [mine, reused, elsewhere, 'blob-0123456789abcdef'])
      writeFileSync(join(tmp, n), 'x');
    await tag('after:1');
    expect(readdirSync(tmp).sort()).toEqual([mine, elsewhere, 'blob-0123456789abcdef'].sort());
  });
});
