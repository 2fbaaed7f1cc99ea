/**
 * BuildKit's attestation storage (docs/attestations/attestation-storage.md, as
 * BuildKit v0.23 writes it with `oci-artifact=false`, its default then): an
 * in-toto statement is the one layer of an "attestation manifest", and an OCI
 * index lists the image's manifest and, after it, that attestation manifest,
 * with platform `unknown/unknown` (so nothing picks it to run) and the
 * annotations `vnd.docker.reference.type: attestation-manifest` and
 * `vnd.docker.reference.digest: <the image manifest's digest>`.
 *
 * The JSON is written as BuildKit's Go writes it: the index and the attestation
 * manifest indented by two spaces (json.MarshalIndent), the statement and the
 * config compact, fields in Go's struct order, `<`, `>` and `&` escaped.
 */
import { sha256 } from '../util/digest.js';
import { parseReference, type Reference } from './reference.js';
import {
  MediaType,
  type Descriptor,
  type ImageIndex,
  type Manifest,
  type Platform,
} from './types.js';

export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type';
export const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST_ANNOTATION = 'vnd.docker.reference.digest';
export const ATTESTATION_MANIFEST = 'attestation-manifest';

const UNKNOWN: Platform = { architecture: 'unknown', os: 'unknown' };

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** An image index of one image and its attestation manifest, and the blobs it needs. */
export interface AttestedIndex {
  index: Blob;
  /** The attestation manifest, its config and the statement: every blob the image itself lacks. */
  blobs: Blob[];
  /** The attestation manifest (also in `blobs`). */
  attestation: Blob;
}

export interface InTotoSubject {
  name: string;
  digest: Record<string, string>;
}

/**
 * The statement's bytes (Go's json.Marshal of in-toto's Statement).
 * @example
 *   statementBytes([{ name: 'pkg:docker/app@1?platform=linux%2Famd64', digest: { sha256: '…' } }], SLSA_PROVENANCE_V02, predicate)
 */
export function statementBytes(
  subject: InTotoSubject[],
  predicateType: string,
  predicate: unknown,
): Buffer {
  return Buffer.from(goJson({ _type: IN_TOTO_STATEMENT_V01, predicateType, subject, predicate }));
}

/**
 * The index that attaches `statement` (of `predicateType`) to the image whose
 * manifest is `image` (its descriptor with the image's platform).
 */
export function attestedIndex(
  image: Descriptor & { platform: Platform },
  statement: Buffer,
  predicateType: string,
  /** The index's own (`--annotation index:K=V`); the image's entry keeps `image.annotations`. */
  indexAnnotations?: Record<string, string>,
): AttestedIndex {
  const layer: Descriptor = {
    mediaType: IN_TOTO_MEDIA_TYPE,
    digest: sha256(statement),
    size: statement.length,
    annotations: { [PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
  // BuildKit's attestationsConfig: an image config for tools that insist on one,
  // its one "layer" the statement (uncompressed, so its diffID is its digest).
  const configBytes = Buffer.from(
    goJson({
      architecture: UNKNOWN.architecture,
      os: UNKNOWN.os,
      config: {},
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }),
  );
  const config: Descriptor = {
    mediaType: MediaType.ociConfig,
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [layer],
  };
  const manifestBytes = Buffer.from(goJson(manifest, 2));
  const attestation: Blob = {
    descriptor: {
      mediaType: MediaType.ociManifest,
      digest: sha256(manifestBytes),
      size: manifestBytes.length,
      annotations: {
        [REFERENCE_DIGEST_ANNOTATION]: image.digest,
        [REFERENCE_TYPE_ANNOTATION]: ATTESTATION_MANIFEST,
      },
      platform: UNKNOWN,
    },
    bytes: manifestBytes,
  };
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      {
        mediaType: image.mediaType,
        digest: image.digest,
        size: image.size,
        // OCI's Descriptor field order, as Go marshals it: annotations before platform.
        ...(image.annotations && Object.keys(image.annotations).length > 0
          ? { annotations: sortedKeys(image.annotations) }
          : {}),
        platform: goPlatform(image.platform),
      },
      attestation.descriptor,
    ],
    ...(indexAnnotations && Object.keys(indexAnnotations).length > 0
      ? { annotations: sortedKeys(indexAnnotations) }
      : {}),
  };
  const indexBytes = Buffer.from(goJson(index, 2));
  return {
    index: {
      descriptor: {
        mediaType: MediaType.ociIndex,
        digest: sha256(indexBytes),
        size: indexBytes.length,
      },
      bytes: indexBytes,
    },
    attestation,
    blobs: [
      attestation,
      { descriptor: config, bytes: configBytes },
      { descriptor: layer, bytes: statement },
    ],
  };
}

/** ocispecs.Platform's field order. */
function goPlatform(p: Platform): Platform {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features'] ? { 'os.features': p['os.features'] } : {}),
    ...(p.variant ? { variant: p.variant } : {}),
  };
}

/**
 * JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029
 * escaped; `indent` spaces as json.MarshalIndent("", "  ").
 */
/** A map as Go's encoding/json writes one: keys in order. */
function sortedKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The package URL BuildKit names an image by (util/purl RefToPURL):
 * `pkg:docker/alpine@3.19?platform=linux%2Famd64`, the namespace and name
 * query-escaped (`127.0.0.1%3A5000`), a digest as a qualifier before the platform.
 * `type` is `oci` for an image from a local OCI layout.
 * @example
 *   imagePurl('127.0.0.1:5000/app:1', { os: 'linux', architecture: 'amd64' });
 *   // 'pkg:docker/127.0.0.1%3A5000/app@1?platform=linux%2Famd64'
 */
export function imagePurl(ref: string, platform?: Platform, type = 'docker'): string {
  const r: Reference = parseReference(ref);
  const tag = r.tag ?? (r.digest === undefined ? 'latest' : undefined);
  const full = r.domain === '' ? r.path : `${r.domain}/${r.path}`;
  // reference.FamiliarName: docker.io/ and a lone library/ dropped.
  let familiar = full;
  if (r.domain === 'docker.io') {
    familiar = r.path;
    const short = r.path.startsWith('library/') ? r.path.slice('library/'.length) : '';
    if (short !== '' && !short.includes('/')) familiar = short;
  }
  const parts = familiar.split('/');
  const name = parts.pop()!;
  const ns = parts.map(queryEscape).join('/');
  let purl = `pkg:${type}/${ns === '' ? '' : `${ns}/`}${queryEscape(name)}`;
  if (tag !== undefined) purl += `@${pathEscape(tag)}`;
  const q: string[] = [];
  if (r.digest !== undefined) q.push(`digest=${pathEscape(r.digest)}`);
  if (platform) {
    const p = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    q.push(`platform=${pathEscape(p)}`);
  }
  return q.length > 0 ? `${purl}?${q.join('&')}` : purl;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return goEscape(s, /[A-Za-z0-9\-_.~]/).replace(/%20/g, '+');
}

/** Go's url.PathEscape (a path segment: `/`, `;`, `,` and `?` escaped, `:` `@` `=` `+` `&` `$` kept). */
function pathEscape(s: string): string {
  return goEscape(s, /[A-Za-z0-9\-_.~:@=+&$]/);
}

function goEscape(s: string, keep: RegExp): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * BuildKit's urlutil.RedactCredentials: a URL's user and password become
 * `xxxxx`, so a token in a git or http context URL never reaches provenance.
 * Text that is not a URL is returned as it is.
 * @example
 *   redactCredentials('https://me:tok@host/r.git'); // 'https://xxxxx:xxxxx@host/r.git'
 */
export function redactCredentials(s: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)@(.*)$/.exec(s);
  if (!m) return s;
  const [, scheme, userinfo, rest] = m as unknown as [string, string, string, string];
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const hasPassword = colon >= 0;
  const mask = 'xxxxx';
  let info: string;
  if (user !== '' && hasPassword) info = `${mask}:${mask}`;
  else if (user !== '') info = mask;
  else if (hasPassword) info = `:${mask}`;
  else info = '';
  return `${scheme}${info}@${rest}`;
}
