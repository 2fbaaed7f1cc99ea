/**
 * `--provenance` / `--attest type=provenance`: the SLSA v0.2 provenance
 * predicate BuildKit (v0.23, whose default version is v0.2) writes for a
 * Dockerfile build (solver/llbsolver/provenance/predicate.go, provenance.go),
 * filled from what tsbuild knows:
 *
 * - `builder.id`: the `builder-id=` attribute, else "" (as BuildKit).
 * - `invocation.configSource`: `entryPoint` the Dockerfile's name; for a git or
 *   http context its URL (credentials redacted) and, for git, the commit.
 * - `invocation.parameters`: frontend `dockerfile.v0`, the frontend args buildx
 *   sends (`filename` moved to entryPoint, `target`, `no-cache`, `context:NAME`,
 *   and — mode=max only — `build-arg:*` and `label:*`); secret and ssh IDs
 *   the RUN steps mount (mode=max only; never a value); the local sources.
 * - `materials`: base and `--from` images as package URLs with the digest a
 *   registry serves them by (a RepoDigest of that repository), left without a
 *   digest for an image that never came from a registry; a git context's commit.
 * - `metadata`: start and finish times, `reproducible` as the attribute says
 *   (BuildKit does not infer it either), completeness as BuildKit claims it
 *   (materials incomplete whenever a local directory was read).
 * - mode=max `buildConfig.llbDefinition` and the source map: BuildKit lists LLB
 *   ops; tsbuild has no LLB, so each step is one Dockerfile instruction (a FROM
 *   of an image, then the stage's instructions, metadata-only ones included,
 *   which BuildKit has no op for), with its inputs, no `op`, and
 *   its line in `source.locations`; per-step layers are not listed.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { remoteKind } from '../context/git-url.js';
import type { BuildContext } from '../context/open.js';
import { parseMount } from '../dockerfile/mount.js';
import type { StageGraph } from '../dockerfile/stages.js';
import {
  SLSA_PROVENANCE_V02,
  imagePurl,
  redactCredentials,
  statementBytes,
} from '../image/attestation.js';
import { formatReference, parseReference } from '../image/reference.js';
import type { Descriptor, Platform } from '../image/types.js';
import type { Store } from '../store/store.js';
import { digestHex } from '../util/digest.js';
import type { BuildRequest, ProvenanceOptions } from './build-types.js';

export type { ProvenanceOptions };

/** What a build hands over once it has run. */
export interface ProvenanceCapture {
  options: ProvenanceOptions;
  startedOn: Date;
  finishedOn: Date;
  /** The `context` as given: a directory, `-`, or a git or http URL. */
  context: string;
  contextKind: 'local' | 'git' | 'url';
  gitCommit?: string;
  dockerfile: { name: string; text: string; local: boolean };
  target?: string;
  noCache?: boolean;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** `--build-context NAME=VALUE`, as given. */
  namedContexts?: Record<string, string>;
  graph: StageGraph;
  /** The images the build read, by reference as the Dockerfile names them, with their IDs. */
  images: { ref: string; id: string }[];
  platform: Platform;
  store: Store;
}

/**
 * The provenance statement for an image manifest: its subjects every name the
 * build was given (as BuildKit's image exporter names them), made once per
 * manifest, so every tag pushed names the same index.
 */
export function provenanceAttester(o: {
  req: BuildRequest;
  options: ProvenanceOptions;
  startedOn: Date;
  context: BuildContext;
  /** The context was extracted (a tar, stdin, an http download), not read in place. */
  extracted: boolean;
  graph: StageGraph;
  images: { ref: string; id: string }[];
  platform: Platform;
  store: Store;
}): (manifest: Descriptor) => Promise<{ statement: Buffer; predicateType: string }> {
  const { req, context } = o;
  const git = context.gitCommit !== undefined;
  const contextKind = git
    ? 'git'
    : o.extracted && remoteKind(req.context) === 'url'
      ? 'url'
      : 'local';
  const capture: ProvenanceCapture = {
    options: o.options,
    startedOn: o.startedOn,
    finishedOn: o.startedOn,
    context: req.context,
    contextKind,
    ...(git ? { gitCommit: context.gitCommit } : {}),
    dockerfile: {
      // buildx sends a local Dockerfile's directory as the `dockerfile` local and its
      // base name as `filename`; in a remote context it is the path within.
      name:
        contextKind === 'local' || req.dockerfile === '-'
          ? basename(context.dockerfile.name)
          : context.dockerfile.name,
      text: context.dockerfile.text,
      local: contextKind === 'local' || req.dockerfile === '-',
    },
    ...(req.target !== undefined ? { target: req.target } : {}),
    ...(req.noCache ? { noCache: true } : {}),
    ...(req.buildArgs ? { buildArgs: req.buildArgs } : {}),
    ...(req.labels ? { labels: req.labels } : {}),
    ...(req.buildContexts ? { namedContexts: req.buildContexts } : {}),
    graph: o.graph,
    images: o.images,
    platform: o.platform,
    store: o.store,
  };
  const made = new Map<string, Promise<{ statement: Buffer; predicateType: string }>>();
  return (manifest) => {
    let s = made.get(manifest.digest);
    if (!s) {
      s = provenancePredicate({ ...capture, finishedOn: new Date() }).then((predicate) => ({
        statement: statementBytes(
          (req.tags ?? []).map((t) => ({
            name: imagePurl(t, o.platform),
            digest: { sha256: digestHex(manifest.digest) },
          })),
          SLSA_PROVENANCE_V02,
          predicate,
        ),
        predicateType: SLSA_PROVENANCE_V02,
      }));
      made.set(manifest.digest, s);
    }
    return s;
  };
}

/**
 * The predicate, as BuildKit's Go structs encode it (field order included).
 * @example
 *   const p = await provenancePredicate(capture); p.buildType; // 'https://mobyproject.org/buildkit@v1'
 */
export async function provenancePredicate(c: ProvenanceCapture): Promise<Record<string, unknown>> {
  const max = c.options.mode === 'max';
  const args: Record<string, string> = {};
  let parametersComplete = true;
  if (c.target !== undefined) args.target = c.target;
  if (c.noCache) args['no-cache'] = '';
  for (const [name, value] of Object.entries(c.namedContexts ?? {}))
    args[`context:${name}`] = redactCredentials(value);
  for (const [k, v] of Object.entries(c.buildArgs ?? {})) {
    if (max) args[`build-arg:${k}`] = v;
    else parametersComplete = false;
  }
  for (const [k, v] of Object.entries(c.labels ?? {})) {
    if (max) args[`label:${k}`] = v;
    else parametersComplete = false;
  }

  const configSource: Record<string, unknown> = {};
  const materials: { uri: string; digest?: Record<string, string> }[] = [];
  for (const image of await imageMaterials(c)) materials.push(image);
  if (c.contextKind !== 'local') {
    const uri = redactCredentials(c.context);
    configSource.uri = uri;
    if (c.contextKind === 'git' && c.gitCommit !== undefined) {
      configSource.digest = { sha1: c.gitCommit };
      materials.push({ uri, digest: { sha1: c.gitCommit } });
    }
  }
  configSource.entryPoint = c.dockerfile.name;

  const locals: { name: string }[] = [];
  if (c.contextKind === 'local' && c.context !== '-') locals.push({ name: 'context' });
  if (c.dockerfile.local) locals.push({ name: 'dockerfile' });
  for (const [name, value] of Object.entries(c.namedContexts ?? {}))
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) locals.push({ name });

  const parameters: Record<string, unknown> = { frontend: 'dockerfile.v0', args };
  if (max) {
    const { secrets, ssh } = mountIds(c.graph);
    if (secrets.length > 0) parameters.secrets = secrets;
    if (ssh.length > 0) parameters.ssh = ssh;
  }
  if (locals.length > 0) parameters.locals = locals;

  const buildkitMetadata: Record<string, unknown> = {};
  if (max) buildkitMetadata.source = sourceMap(c);

  return {
    builder: { id: c.options.builderId ?? '' },
    buildType: 'https://mobyproject.org/buildkit@v1',
    ...(materials.length > 0 ? { materials } : {}),
    invocation: {
      configSource,
      parameters,
      environment: {
        platform: [c.platform.os, c.platform.architecture, c.platform.variant]
          .filter(Boolean)
          .join('/'),
      },
    },
    ...(max ? { buildConfig: { llbDefinition: buildSteps(c.graph) } } : {}),
    metadata: {
      // BuildKit's identity.NewID(): 25 base-36 characters.
      buildInvocationID: Array.from(randomBytes(25), (b) => (b % 36).toString(36)).join(''),
      buildStartedOn: rfc3339Nano(c.startedOn),
      buildFinishedOn: rfc3339Nano(c.finishedOn),
      completeness: {
        parameters: parametersComplete,
        environment: true,
        materials: locals.length === 0,
      },
      reproducible: c.options.reproducible ?? false,
      'https://mobyproject.org/buildkit@v1#metadata': buildkitMetadata,
    },
  };
}

/**
 * Each image once (by reference), with the digest a registry serves it by:
 * the reference's own digest, else a RepoDigest of its repository.
 */
async function imageMaterials(c: ProvenanceCapture) {
  const out: { uri: string; digest?: Record<string, string> }[] = [];
  const seen = new Set<string>();
  const records = await c.store.images();
  for (const { ref, id } of c.images) {
    if (seen.has(ref)) continue;
    seen.add(ref);
    const r = parseReference(ref);
    const repo = formatReference({ ...r, tag: undefined, digest: undefined });
    let digest = r.digest;
    if (digest === undefined) {
      const record = records.find((i) => i.id === id);
      const known = record?.repoDigests.find((d) => d.startsWith(`${repo}@`));
      digest = known?.slice(repo.length + 1);
    }
    const uri = imagePurl(ref, c.platform);
    const [algorithm, hex] = digest?.split(':') ?? [];
    out.push(algorithm && hex ? { uri, digest: { [algorithm]: hex } } : { uri });
  }
  return out;
}

/** The secret and ssh IDs RUN steps mount, as BuildKit's capture records them (never a value). */
function mountIds(graph: StageGraph) {
  const secrets = new Map<string, boolean>();
  const ssh = new Map<string, boolean>();
  for (const i of graph.order)
    for (const { instruction: ins } of graph.stages[i]!.steps) {
      if (ins.kind !== 'RUN') continue;
      for (const text of ins.mounts) {
        const m = parseMount(text, ins.span);
        // Not required: BuildKit marks the mount optional.
        if (m.type === 'secret') {
          const id = m.id ?? (m.target ? m.target.slice(m.target.lastIndexOf('/') + 1) : '');
          if (id !== '') secrets.set(id, (secrets.get(id) ?? true) && !m.required);
        } else if (m.type === 'ssh') {
          const id = m.id ?? 'default';
          ssh.set(id, (ssh.get(id) ?? true) && !m.required);
        }
      }
    }
  const list = (m: Map<string, boolean>) =>
    [...m].map(([id, optional]) => (optional ? { id, optional } : { id }));
  return { secrets: list(secrets), ssh: list(ssh) };
}

/** Step IDs: for each stage built, its FROM (of an image), then each instruction. */
function stepIds(graph: StageGraph) {
  const ids: { stage: number; line: { start: number; end: number }; inputs: string[] }[] = [];
  const lastOf = new Map<number, string>();
  for (const i of graph.order) {
    const stage = graph.stages[i]!;
    let prev: string | undefined =
      stage.base.kind === 'stage' ? lastOf.get(stage.base.index) : undefined;
    // An image's FROM is a source op in BuildKit's definition; scratch is none.
    if (stage.base.kind === 'image') {
      ids.push({ stage: i, line: lines(stage.from.span), inputs: [] });
      prev = `step${ids.length - 1}`;
    }
    for (const { instruction: ins } of stage.steps) {
      const inputs = prev === undefined ? [] : [`${prev}:0`];
      if (ins.kind === 'COPY' && ins.from !== undefined) {
        const from = graph.stages.find((s) => s.name === ins.from || String(s.index) === ins.from);
        const other = from && lastOf.get(from.index);
        if (other) inputs.push(`${other}:0`);
      }
      ids.push({ stage: i, line: lines(ins.span), inputs });
      prev = `step${ids.length - 1}`;
    }
    if (prev !== undefined) lastOf.set(i, prev);
  }
  return ids;
}

function lines(span: { line: number; endLine?: number }) {
  return { start: span.line, end: span.endLine ?? span.line };
}

function buildSteps(graph: StageGraph) {
  return stepIds(graph).map((s, n) => ({
    id: `step${n}`,
    ...(s.inputs.length > 0 ? { inputs: s.inputs } : {}),
  }));
}

function sourceMap(c: ProvenanceCapture) {
  const locations: Record<string, unknown> = {};
  stepIds(c.graph).forEach((s, n) => {
    locations[`step${n}`] = {
      locations: [{ ranges: [{ start: { line: s.line.start }, end: { line: s.line.end } }] }],
    };
  });
  return {
    locations,
    infos: [
      {
        filename: c.dockerfile.name,
        language: 'Dockerfile',
        data: Buffer.from(c.dockerfile.text).toString('base64'),
      },
    ],
  };
}

/** Go's time.RFC3339Nano: trailing zeros of the fraction dropped. */
function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z');
}
