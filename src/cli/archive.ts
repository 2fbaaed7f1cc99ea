/** `tsbuild save`, `tsbuild load` and `tsbuild import`: images in and out of tarballs. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Readable } from 'node:stream';
import { importImage } from '../api/import.js';
import { load } from '../api/load.js';
import { save } from '../api/save.js';
import { TsbuildError, UsageError } from '../errors.js';
import type { Io } from './io.js';
import { STORE_HELP, STORE_OPTIONS, parseOptions, requireArgs } from './options.js';
import { alignHelp } from './help-text.js';

const SAVE_HELP = alignHelp(`Usage:  tsbuild save [OPTIONS] IMAGE [IMAGE...]

Save one or more images to a tar archive (streamed to STDOUT by default)

Options:
  -o, --output string      Write to a file, instead of STDOUT
      --compress string    Layer compression in the archive: none (as docker save), gzip or zstd (default "none")
${STORE_HELP}`);

export async function saveCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    output: { type: 'string', short: 'o' },
    compress: { type: 'string' },
  });
  if (values.help) return usage(io, SAVE_HELP);
  requireArgs(positionals, 1, Infinity, SAVE_HELP);
  const compress = values.compress ?? 'none';
  if (compress !== 'none' && compress !== 'gzip' && compress !== 'zstd')
    throw new UsageError(`invalid --compress "${compress}": none, gzip or zstd\n\n${SAVE_HELP}`);
  const common = { root: values.root, env: io.env, images: positionals, compress } as const;
  if (values.output === undefined || values.output === '-') {
    if ((io.stdout as NodeJS.WriteStream).isTTY)
      throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    await save({ ...common, output: io.stdout, outputName: 'standard output' });
    return 0;
  }
  // Written beside the target and renamed, as docker does: a failed save
  // leaves no half archive.
  const out = values.output;
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o644).catch((e: NodeJS.ErrnoException) => {
    const why = e.code === 'ENOENT' ? 'no such directory' : e.message;
    throw new TsbuildError('OUTPUT', `cannot write ${out}: ${why}`, { file: out });
  });
  try {
    await save({ ...common, output: fh.createWriteStream(), outputName: out });
    await rename(tmp, out);
  } finally {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
  }
  return 0;
}

const LOAD_HELP = alignHelp(`Usage:  tsbuild load [OPTIONS]

Load an image from a tar archive or STDIN (docker-archive or OCI layout; plain, gzip, bzip2 or xz)

Options:
  -i, --input string       Read from tar archive file (or an OCI layout directory), instead of STDIN
  -q, --quiet              Suppress the load output
${STORE_HELP}`);

export async function loadCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    input: { type: 'string', short: 'i' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) return usage(io, LOAD_HELP);
  requireArgs(positionals, 0, 0, LOAD_HELP);
  const fromStdin = values.input === undefined || values.input === '-';
  if (fromStdin && (io.stdin as NodeJS.ReadStream).isTTY)
    throw new UsageError('requested load from stdin, but stdin is empty');
  const events = await load({
    root: values.root,
    env: io.env,
    ...(fromStdin ? { input: io.stdin as Readable } : { path: values.input }),
  });
  if (values.quiet) return 0;
  for (const e of events) {
    if ('loaded' in e) io.stdout.write(`Loaded image: ${e.loaded}\n`);
    else if ('loadedId' in e) io.stdout.write(`Loaded image ID: ${e.loadedId}\n`);
    else
      io.stdout.write(
        `The image ${e.renamed.name} already exists, renaming the old one with ID ${e.renamed.oldId} to empty string\n`,
      );
  }
  return 0;
}

const IMPORT_HELP = alignHelp(`Usage:  tsbuild import [OPTIONS] file|- [REPOSITORY[:TAG]]

Import the contents from a tarball to create a filesystem image

Options:
  -c, --change list        Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT,
                           ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)
  -m, --message string     Set commit message for imported image
${STORE_HELP}`);

export async function importCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...STORE_OPTIONS,
    message: { type: 'string', short: 'm' },
    change: { type: 'string', short: 'c', multiple: true },
  });
  if (values.help) return usage(io, IMPORT_HELP);
  requireArgs(positionals, 1, 2, IMPORT_HELP);
  const [source, tag] = positionals as [string, string | undefined];
  const id = await importImage({
    root: values.root,
    env: io.env,
    ...(source === '-' ? { input: io.stdin as Readable } : { path: source }),
    tag,
    message: values.message,
    changes: values.change ?? [],
  });
  io.stdout.write(`${id}\n`);
  return 0;
}

function usage(io: Io, help: string): number {
  io.stdout.write(help);
  return 0;
}
