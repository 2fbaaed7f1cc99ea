/**
 * `tsbuild build` argv → BuildRequest, with docker's flag spellings and its
 * answers to odd input: `--build-arg K` with no K in the environment is dropped,
 * `--label K` is K="", tags naming the same image count once, and a tag Docker
 * would not accept is `invalid argument "X" for "-t, --tag" flag: …` (exit 2).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BuildOutput, BuildRequest } from '../api/build-types.js';
import { TsbuildError, UsageError } from '../errors.js';
import { ReferenceError, formatReference, parseReference } from '../image/reference.js';
import { annotationsFrom } from './annotation-args.js';
import { buildArgsFrom } from './args.js';
import { attestationsFrom } from './attest-args.js';
import { parseCallFunc, type CallFunc } from './call.js';
import { normalizeBools } from './bool-flags.js';
import { DOCKER_FLAGS_HELP, DOCKER_FLAG_OPTIONS, dockerFlagsRequest } from './docker-flags.js';
import { secretsFrom, sshFrom } from './secret-args.js';
import {
  STORE_HELP,
  STORE_OPTIONS,
  insecureRegistries,
  parseOptions,
  requireArgs,
} from './options.js';
import { alignHelp } from './help-text.js';

export const BUILD_HELP = alignHelp(`Usage:  tsbuild build [OPTIONS] PATH | -

Build an image from a Dockerfile ("tsbuild [OPTIONS] PATH" does the same)

Options:
      --build-arg list     Set build-time variables (K=V, or K to take it from the environment)
                           SOURCE_DATE_EPOCH=SECONDS (also read from the environment) pins the
                           image's times to it (newer file times clamped): reproducible image IDs
      --build-context list  Additional build contexts (NAME=VALUE): a directory, a git or
                           http(s) URL, docker-image://REF or oci-layout://DIR[:TAG]
      --annotation list    Add an annotation to the image: [TYPE[[PLATFORM]]:]KEY=VALUE, TYPE
                           manifest (the default), manifest-descriptor, or with --provenance
                           index and index-descriptor; written into what leaves the machine
                           (--push, -o type=oci|docker), not the store; an annotated
                           manifest has OCI media types, as BuildKit writes it
      --allow-insecure-http  Allow a git or remote context over plain http to a host that is not this machine
      --insecure-registry list  A registry (host:port) to pull bases from over plain http
      --cache-from list    A cache to use: type=registry,ref=HOST/REPO:TAG, type=local,src=DIR
                           [,tag=T|digest=D], or IMAGE (its inline cache and history; an
                           image in the store is used as it is, any other is pulled)
      --cache-to list      Export the build's cache: type=registry,ref=HOST/REPO:TAG,
                           type=local,dest=DIR[,tag=T] (an OCI layout a CI cache action saves),
                           with [,mode=min|max]; or type=inline (in the image's config, min
                           only; also --build-arg BUILDKIT_INLINE_CACHE=1)
      --call string        What to do instead of a build: check (the checks only), outline (the
                           build args, secrets and ssh a target uses), targets (the stages);
                           add ",format=json" for JSON, ",ignorestatus=true" to exit 0 on
                           findings (default "build")
      --check              Shorthand for "--call=check": print the findings, exit 1 when any
      --push               Push every tag once built
      --provenance string  Attach a SLSA v0.2 provenance attestation, as BuildKit: true (= mode=max),
                           false (the default: tsbuild's store, like Docker's default store,
                           keeps none), mode=min|max[,builder-id=ID][,reproducible=true].
                           Goes with --push and --output type=oci; type=docker, local, tar and
                           the store leave it out. mode=max records build-arg and label values
                           (and secret IDs, never their values)
      --attest list        type=provenance,… as --provenance; type=sbom,disabled=true as --sbom=false
      --sbom string        false only: tsbuild has no SBOM generator yet (anything else is an error)
      --explain-cache      Say, for each cache miss, what changed since this Dockerfile last built the step
  -f, --file string        Name of the Dockerfile (default: PATH/Dockerfile; "-" reads stdin)
      --iidfile string     Write the image ID to the file
      --jobs int           How many stages may build at once (default 2)
      --keep-failed bool   Keep a RUN step that fails as a stopped container, to open a
                           shell in with "tsbuild debug ID" (default true)
      --label list         Set metadata for an image (K=V)
      --metadata-file string  Write build result metadata (JSON) to the file
      --network string     Networking mode for RUN steps: default, host or none (default "default").
                           default: a network namespace of the build's own, reaching out
                           through pasta or slirp4netns, not the host (the host's
                           namespace when neither is installed); none: loopback only
      --no-cache           Do not use cache when building the image
      --no-cache-filter list  Do not use cache for the steps of these stages (NAME[,NAME])
  -o, --output list        Output destination (type=image|oci|docker|tar|local,dest=PATH; "DIR" = local)
      --platform string    The platform to build for (only the host's)
      --progress string    Progress output: auto, plain, classic, tty, json (explains misses),
                           rawjson (buildx's SolveStatus lines) or quiet (default "auto").
                           auto: the live tty view when stderr is a terminal (TERM not dumb);
                           otherwise plain, BuildKit's text (#N lines, on stderr), as docker
                           build and buildx pick it: what CI logs show and their readers expect.
                           classic: docker's classic builder (Step N/M, on stdout)
      --pull               Always attempt to pull a newer version of the base image
  -q, --quiet              Print nothing but the image ID
      --runtime string     How RUN steps run: auto, runc, crun or builtin (default "auto")
      --secret list        A secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR
      --squash             Squash the new layers into one
      --ssh list           An ssh agent for RUN --mount=type=ssh: default ($SSH_AUTH_SOCK),
                           or ID=SOCKET, or ID=KEYFILE[,KEYFILE]
  -t, --tag list           Name and optionally a tag in the 'name:tag' format
      --target string      Set the target build stage to build
      --verify             Then build the target again without the cache (in a scratch store,
                           removed after) and compare: prints "reproducible: sha256:…", or the
                           files of each layer and the step that made it and the config fields
                           that differ, and exits 3 (key "tsbuild.verify" in --metadata-file)
${DOCKER_FLAGS_HELP}${STORE_HELP}`);

const OPTIONS = {
  ...STORE_OPTIONS,
  ...DOCKER_FLAG_OPTIONS,
  tag: { type: 'string', short: 't', multiple: true },
  file: { type: 'string', short: 'f' },
  'build-arg': { type: 'string', multiple: true },
  'build-context': { type: 'string', multiple: true },
  target: { type: 'string' },
  'no-cache': { type: 'boolean' },
  'no-cache-filter': { type: 'string', multiple: true },
  annotation: { type: 'string', multiple: true },
  'keep-failed': { type: 'string' },
  pull: { type: 'boolean' },
  label: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  iidfile: { type: 'string' },
  'metadata-file': { type: 'string' },
  progress: { type: 'string' },
  network: { type: 'string' },
  runtime: { type: 'string' },
  platform: { type: 'string' },
  squash: { type: 'boolean' },
  jobs: { type: 'string' },
  output: { type: 'string', short: 'o', multiple: true },
  'explain-cache': { type: 'boolean' },
  'allow-insecure-http': { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
  'cache-from': { type: 'string', multiple: true },
  'cache-to': { type: 'string', multiple: true },
  push: { type: 'boolean' },
  provenance: { type: 'string' },
  sbom: { type: 'string' },
  attest: { type: 'string', multiple: true },
  verify: { type: 'boolean' },
  secret: { type: 'string', multiple: true },
  ssh: { type: 'string', multiple: true },
  call: { type: 'string' },
  check: { type: 'boolean' },
} as const;

export const PROGRESS_MODES = [
  'auto',
  'plain',
  'classic',
  'tty',
  'json',
  'rawjson',
  'quiet',
] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** What the command itself does with the flags that are not the build's business. */
export interface BuildCliOptions {
  help: boolean;
  quiet: boolean;
  progress: ProgressMode;
  iidfile?: string;
  metadataFile?: string;
  /** `--call=check|outline|targets` or `--check`: that instead of a build (call.ts). */
  call?: CallFunc;
}

/**
 * Parse `tsbuild build` arguments. Relative paths stay as given (build()
 * resolves them against `cwd`); the iidfile and metadata file are resolved here.
 *
 * @example
 * parseBuildArgs(['-t', 'app', '--build-arg', 'V=1', '.'], {}, '/src').request;
 * // { context: '.', tags: ['app'], buildArgs: { V: '1' }, cwd: '/src', env: {}, … }
 */
export function parseBuildArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { request: BuildRequest; cli: BuildCliOptions } {
  const bools = normalizeBools(argv, OPTIONS);
  const { values: v, positionals } = parseOptions(bools.argv, OPTIONS);
  const quiet = v.quiet ?? false;
  const progress = oneOf('progress', v.progress ?? 'auto', PROGRESS_MODES);
  if (quiet && progress !== 'auto' && progress !== 'quiet')
    throw new UsageError(`progress=${progress} and quiet cannot be used together`);
  const cli: BuildCliOptions = {
    help: v.help ?? false,
    quiet,
    progress: quiet ? 'quiet' : progress,
    iidfile: v.iidfile === undefined ? undefined : resolve(cwd, v.iidfile),
    metadataFile: v['metadata-file'] === undefined ? undefined : resolve(cwd, v['metadata-file']),
  };
  const call = callFrom(bools.argv, v.call, v.check ?? false);
  if (call) cli.call = call;
  if (cli.help) return { request: { context: '.', cwd, env }, cli };
  requireArgs(positionals, 1, 1, BUILD_HELP);
  const context = positionals[0]!;
  if (v['no-cache'] && v['no-cache-filter'])
    throw new UsageError('--no-cache and --no-cache-filter cannot currently be used together');
  if (context === '-' && v.file === '-')
    throw new UsageError("invalid argument: can't use stdin for both build context and dockerfile");
  const request: BuildRequest = {
    context,
    cwd,
    env,
    root: v.root,
    dockerfile: v.file,
    tags: tagsFrom(v.tag ?? []),
    buildArgs: buildArgsFrom(v['build-arg'] ?? [], env),
    buildContexts: v['build-context'] ? buildContextsFrom(v['build-context']) : undefined,
    target: v.target,
    noCache: v['no-cache'],
    noCacheFilter: v['no-cache-filter'] ? noCacheFilterFrom(v['no-cache-filter']) : undefined,
    annotations: v.annotation ? annotationsFrom(v.annotation) : undefined,
    keepFailed:
      v['keep-failed'] === undefined
        ? undefined
        : oneOf('keep-failed', v['keep-failed'], BOOLS) === 'true',
    pull: v.pull,
    labels: labelsFrom(v.label ?? []),
    network: v.network === undefined ? undefined : oneOf('network', v.network, NETWORKS),
    runtime: v.runtime === undefined ? undefined : oneOf('runtime', v.runtime, RUNTIMES),
    platform: v.platform,
    squash: v.squash,
    jobs: v.jobs === undefined ? undefined : jobsFrom(v.jobs),
    outputs: v.output?.map(outputFrom),
    // The json progress is for tools: its miss events always carry the explanation.
    explainCache: v['explain-cache'] ?? (progress === 'json' ? true : undefined),
    allowInsecureHttp: v['allow-insecure-http'],
    insecureRegistries: insecureRegistries(v['insecure-registry'], env),
    cacheFrom: v['cache-from'],
    cacheTo: v['cache-to'],
    push: v.push,
    provenance: attestationsFrom(v),
    verify: v.verify,
    secrets: v.secret ? secretsFrom(v.secret, env) : undefined,
    ssh: v.ssh ? sshFrom(v.ssh) : undefined,
    ...dockerFlagsRequest(v, bools.explicitFalse),
  };
  for (const key of Object.keys(request) as (keyof BuildRequest)[])
    if (request[key] === undefined) delete request[key];
  return { request, cli };
}

/**
 * Whether `tsbuild WORD …` (WORD not a command) is the short form of `tsbuild
 * build`: WORD is a flag, `-`, a URL, or a path that exists. A bare word naming
 * nothing is more likely a mistyped command, and is reported as one.
 */
export function startsBuild(word: string): boolean {
  return word.startsWith('-') || /^[a-z][a-z0-9+.-]*:\/\//i.test(word) || existsSync(word);
}

/**
 * `--check` is buildx's shorthand for `--call=check`; like pflag, the one
 * given last wins when both are.
 */
function callFrom(argv: readonly string[], call: string | undefined, check: boolean) {
  if (!check) return call === undefined ? undefined : parseCallFunc(call);
  const last = (match: (a: string) => boolean) => argv.findLastIndex(match);
  const callAt = last((a) => a === '--call' || a.startsWith('--call='));
  if (call !== undefined && callAt > last((a) => a === '--check')) return parseCallFunc(call);
  return parseCallFunc('check');
}

const NETWORKS = ['default', 'host', 'none'] as const;
const BOOLS = ['true', 'false'] as const;
const RUNTIMES = ['auto', 'runc', 'crun', 'builtin'] as const;
const OUTPUT_TYPES = ['image', 'oci', 'docker', 'tar', 'local'] as const;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(
    `invalid argument "${value}" for "--${flag}" flag: must be one of ${allowed.join(', ')}`,
  );
}

/**
 * Docker checks each tag with reference.ParseNormalizedNamed as the flag is read,
 * and names one image once however it is spelled (`a`, `a:latest`, `docker.io/library/a`).
 * A digest is refused too, by the daemon in Docker ("build tag cannot contain a digest", exit 1).
 */
function tagsFrom(list: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const tag of list) {
    let ref;
    try {
      ref = parseReference(tag);
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      throw new UsageError(
        `invalid argument "${tag}" for "-t, --tag" flag: ${e.reason}\nSee 'tsbuild build --help'.`,
      );
    }
    if (ref.digest !== undefined)
      throw new TsbuildError('INVALID_TAG', 'build tag cannot contain a digest', { tag });
    const canonical = formatReference(ref);
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    out.push(tag);
  }
  return out;
}

/** `--build-context NAME=VALUE`, as buildx reads it (the value is checked when the build opens it). */
function buildContextsFrom(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --build-context "${item}": expected NAME=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `--label K=V`; `--label K` is K="" as docker's ConvertKVStringsToMap makes it. */
function labelsFrom(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') throw new UsageError(`invalid --label "${item}": the name is empty`);
    out[key] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

/**
 * `--no-cache-filter a,b --no-cache-filter c`: stage names, as buildx joins
 * them; empty items name nothing.
 */
function noCacheFilterFrom(list: string[]): string[] {
  return list.flatMap((s) => s.split(',')).filter((s) => s !== '');
}

function jobsFrom(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(
      `invalid argument "${text}" for "--jobs" flag: must be a whole number of at least 1`,
    );
  return n;
}

/**
 * buildx's `--output`: CSV `type=tar,dest=out.tar`; a bare value is a local
 * directory, and `-` a tar on standard output.
 */
function outputFrom(text: string): BuildOutput {
  if (!text.includes('=')) {
    if (text === '') throw new UsageError('invalid argument "" for "-o, --output" flag: empty');
    return text === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: text };
  }
  const fields = new Map<string, string>();
  for (const field of csvFields(text)) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid value ${field} in --output ${text}: want key=value`);
    fields.set(field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1));
  }
  const type = fields.get('type');
  if (type === undefined) throw new UsageError(`type is required for output ${text}`);
  if (!(OUTPUT_TYPES as readonly string[]).includes(type))
    throw new UsageError(
      `unsupported output type "${type}" in --output ${text}: must be one of ${OUTPUT_TYPES.join(', ')}`,
    );
  const known = type as (typeof OUTPUT_TYPES)[number];
  const dest = fields.get('dest');
  const extra = [...fields.keys()].filter((k) => k !== 'type' && k !== 'dest');
  if (extra.length > 0)
    throw new UsageError(`unsupported --output attribute ${extra.join(', ')} in ${text}`);
  if (known === 'image') {
    if (dest !== undefined) throw new UsageError(`the image output takes no dest (${text})`);
    return { type: 'image' };
  }
  if (dest === undefined || dest === '')
    throw new UsageError(
      known === 'local'
        ? `dest directory is required for local exporter`
        : `dest file is required for ${known} exporter (dest=- writes it to standard output)`,
    );
  if (known === 'local' && dest === '-')
    throw new UsageError('the local exporter writes a directory, not standard output');
  return { type: known, dest };
}

/** Fields of one CSV record as Go's encoding/csv reads it: `"a,b"` quotes, `""` is a quote. */
function csvFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new UsageError(`unterminated quote in --output ${text}`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',')
        throw new UsageError(`extraneous text after a quoted field in --output ${text}`);
    } else {
      const comma = text.indexOf(',', i);
      field = text.slice(i, comma < 0 ? text.length : comma);
      i = comma < 0 ? text.length : comma;
    }
    out.push(field);
    if (i >= text.length) return out;
    i++; // the comma
  }
}
