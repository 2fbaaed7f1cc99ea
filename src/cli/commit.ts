/**
 * `tsbuild commit`, `tsbuild diff` and `tsbuild export` (also as `tsbuild
 * container commit|diff|export`): a container's changes as an image, a list,
 * or its whole filesystem as a tar — docker's flags and output.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { commit } from '../api/commit.js';
import { diff } from '../api/diff.js';
import { exportContainer } from '../api/export.js';
import { TsbuildError, UsageError, asResourceError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { alignHelp } from './help-text.js';

const COMMIT_HELP = alignHelp(`Usage:  tsbuild commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]

Create a new image from a container's changes

Options:
  -a, --author string      Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
  -c, --change list        Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT,
                           ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)
  -m, --message string     Commit message
  -p, --pause              Accepted for docker's sake; a running container is refused
                           (stop it first): tsbuild cannot pause it
${STORE_HELP}`);

export async function commitCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    author: { type: 'string', short: 'a' },
    change: { type: 'string', short: 'c', multiple: true },
    message: { type: 'string', short: 'm' },
    pause: { type: 'boolean', short: 'p' },
  });
  if (values.help) return usage(io, COMMIT_HELP);
  requireArgs(positionals, 1, 2, COMMIT_HELP);
  const [container, reference] = positionals as [string, string | undefined];
  const id = await commit({
    root: values.root,
    env: io.env,
    container,
    ...(reference !== undefined ? { reference } : {}),
    ...(values.message !== undefined ? { message: values.message } : {}),
    ...(values.author !== undefined ? { author: values.author } : {}),
    changes: values.change ?? [],
  });
  io.stdout.write(`${id}\n`);
  return 0;
}

const DIFF_HELP = alignHelp(`Usage:  tsbuild diff CONTAINER

Inspect changes to files or directories on a container's filesystem
(A: added, C: changed, D: deleted; a directory before what is in it, names sorted)

Options:
${STORE_HELP}`);

export async function diffCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, { ...STORE_OPTIONS });
  if (values.help) return usage(io, DIFF_HELP);
  requireArgs(positionals, 1, 1, DIFF_HELP);
  const changes = await diff({ root: values.root, env: io.env, container: positionals[0]! });
  io.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
  return 0;
}

const EXPORT_HELP = alignHelp(`Usage:  tsbuild export [OPTIONS] CONTAINER

Export a container's filesystem as a tar archive (streamed to STDOUT by default)

Options:
  -o, --output string      Write to a file, instead of STDOUT
${STORE_HELP}`);

export async function exportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    output: { type: 'string', short: 'o' },
  });
  if (values.help) return usage(io, EXPORT_HELP);
  requireArgs(positionals, 1, 1, EXPORT_HELP);
  const req = { root: values.root, env: io.env, container: positionals[0]! };
  const out = values.output;
  if (out === undefined || out === '-') {
    if ((io.stdout as NodeJS.WriteStream).isTTY)
      throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    await writeTo(await exportContainer(req), io.stdout, 'standard output');
    return 0;
  }
  const tar = await exportContainer(req);
  // Written beside the target and renamed, as docker does: a failed export leaves no half archive.
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
    tar.destroy();
    const why = e.code === 'ENOENT' ? 'no such directory' : e.message;
    throw new TsbuildError('OUTPUT', `cannot write ${out}: ${why}`, { file: out });
  });
  try {
    await writeTo(tar, fh.createWriteStream(), out);
    await rename(tmp, out);
  } finally {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
  }
  return 0;
}

async function writeTo(
  tar: NodeJS.ReadableStream,
  to: NodeJS.WritableStream,
  name: string,
): Promise<void> {
  try {
    await pipeline(tar, to);
  } catch (e) {
    // The tar's own errors (a file unreadable) say what; a failing output (a
    // full disk, `export | head` closing the pipe) is said in one line.
    if (e instanceof TsbuildError) throw e;
    const err = asResourceError(e, { writing: 'the archive', to: name });
    if (err instanceof TsbuildError) throw err;
    throw new TsbuildError('OUTPUT', `writing the archive to ${name}: ${(e as Error).message}`);
  }
}

function usage(io: Io, help: string): number {
  io.stdout.write(help);
  return 0;
}
