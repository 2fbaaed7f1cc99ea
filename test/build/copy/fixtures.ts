/**
 * What the COPY/ADD tests share: typed instructions without a parser, a
 * destination rootfs with app (1000:1000) in /etc/passwd, and a stat summary.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceTree } from '../../../src/context/sources.js';
import type { AddInstruction, CopyInstruction, Span, Word } from '../../../src/dockerfile/ast.js';
import { tempRoot } from '../../helpers/tmp.js';

const span: Span = { file: 'Dockerfile', line: 2, col: 1, endLine: 2, endCol: 2 };
const word = (value: string): Word => ({ value, span });

export interface Flags {
  chown?: string;
  chmod?: string;
  parents?: boolean;
  exclude?: string[];
  checksum?: string;
  inline?: { name: string; content: string }[];
}

export function copyIns(sources: string[], dest: string, f: Flags = {}): CopyInstruction {
  return {
    kind: 'COPY',
    span,
    original: `COPY ${sources.join(' ')} ${dest}`,
    sources: sources.map(word),
    inline: (f.inline ?? []).map((h) => ({ ...h, expand: false })),
    dest: word(dest),
    chown: f.chown,
    chmod: f.chmod,
    link: false,
    exclude: f.exclude ?? [],
    from: undefined,
    parents: f.parents ?? false,
  };
}

export function addIns(sources: string[], dest: string, f: Flags = {}): AddInstruction {
  const { from: _from, parents: _parents, ...rest } = copyIns(sources, dest, f);
  return {
    ...rest,
    kind: 'ADD',
    original: `ADD ${sources.join(' ')} ${dest}`,
    checksum: f.checksum,
    keepGitDir: false,
  };
}

/** A destination rootfs as the busybox base has it: /etc/passwd and /etc/group with app 1000. */
export function rootfs(): string {
  const root = tempRoot('tsbuild-copy-rootfs-');
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n');
  return root;
}

/** Reads and hashes each file: a stand-in for the stat cache's FileHasher. */
export const hasher = {
  hash: async (abs: string) => createHash('sha256').update(readFileSync(abs)).digest('hex'),
};

export const contextTree = (root: string): SourceTree => ({ root, label: 'context' });

/** `ls -ln`-like facts of a path: type, mode (octal), uid:gid. */
export function facts(path: string): string {
  const st = lstatSync(path);
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : '?';
  return `${type} ${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${st.uid}:${st.gid}`;
}
