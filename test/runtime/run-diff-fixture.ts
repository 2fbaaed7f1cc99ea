/**
 * The material of run-diff.test.ts: a parent made of busybox and a second
 * lower dir with things for a RUN to change, the RUN itself as one shell
 * script, and a look at what is left behind (mounts, processes).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  linkSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setXattr } from '../../src/layer/xattrs.js';
import { applyLayer } from '../../src/layer/apply.js';
import { CAP_BYTES } from './snapshot/trees.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';

/** Busybox as an overlay lower dir in `dir` (created), root 0755 like an image's. */
export async function busyboxLower(dir: string): Promise<void> {
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  await applyLayer(dir, createReadStream(await busyboxRootfsTar()), { whiteouts: 'overlay' });
}

function put(path: string, content: string, mode = 0o644): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** The second lower: what SCRIPT modifies, deletes and replaces. */
export function changesLower(dir: string): void {
  const at = (p: string) => join(dir, p);
  for (const d of ['', 'data', 'deldir', 'deldir/sub', 'dir2file', 'keep']) {
    mkdirSync(at(d), { mode: 0o755 });
  }
  put(at('data/modify.txt'), 'v1\n');
  put(at('data/delete.txt'), 'bye\n');
  put(at('deldir/a'), 'a\n');
  put(at('deldir/sub/b'), 'b\n', 0o600);
  put(at('dir2file/x'), 'x\n');
  put(at('file2dir'), 'a file\n');
  put(at('chmod.txt'), 'chmod me\n');
  put(at('owned.txt'), 'chown me\n');
  put(at('suid'), '#!/bin/sh\n', 0o755);
  put(at('linkme.txt'), 'gets a second name\n');
  put(at('keep/hl1'), 'hardlinked\n');
  linkSync(at('keep/hl1'), at('keep/hl2'));
  symlinkSync('../data/modify.txt', at('keep/lowerlink'));
  // File capabilities: a chmod keeps them (copied up with the file), a write drops them (the kernel's killpriv).
  for (const f of ['keep/capchmod', 'keep/capwrite']) {
    put(at(f), 'cap\n', 0o755);
    setXattr(at(f), 'security.capability', CAP_BYTES);
  }
}

/** The RUN: every kind of change, in one real shell. */
export const SCRIPT = [
  'set -e',
  'echo created > /new.txt',
  'echo v2 >> /data/modify.txt',
  'rm /data/delete.txt',
  'rm -rf /deldir',
  'rm -rf /dir2file && echo was-a-dir > /dir2file',
  'rm /file2dir && mkdir /file2dir && echo was-a-file > /file2dir/inside',
  'chmod 600 /chmod.txt',
  'chown 1000:1000 /owned.txt',
  'ln -s ../data/modify.txt /keep/newlink',
  'ln /linkme.txt /linkme2.txt',
  'chmod u+s /suid',
  'echo more >> /keep/hl1',
  'mkdir -p /a/b/c && echo deep > /a/b/c/f && chmod 700 /a/b',
  'chmod 750 /keep/capchmod',
  'echo more >> /keep/capwrite',
].join('\n');

/** Mount points at or under `dir`, from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Processes whose command line is exactly `args`. */
export function processesRunning(args: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() === args);
}
