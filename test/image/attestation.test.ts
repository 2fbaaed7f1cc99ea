/**
 * The attestation documents as BuildKit writes them (image/attestation.ts):
 * package URLs as util/purl names images (the first row is the example in
 * BuildKit's docs/attestations/slsa-provenance.md), credentials redacted as
 * urlutil.RedactCredentials does, JSON escaped as Go's encoder escapes it, and
 * the index / attestation manifest shapes of docs/attestations/attestation-storage.md.
 */
import { describe, expect, it } from 'vitest';
import {
  attestedIndex,
  goJson,
  imagePurl,
  redactCredentials,
  statementBytes,
} from '../../src/image/attestation.js';
import { sha256 } from '../../src/util/digest.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const D = `sha256:${'a'.repeat(64)}`;

describe('imagePurl', () => {
  it.each([
    ['alpine:latest', amd64, 'pkg:docker/alpine@latest?platform=linux%2Famd64'],
    ['alpine', amd64, 'pkg:docker/alpine@latest?platform=linux%2Famd64'],
    ['docker.io/library/alpine:3.19', undefined, 'pkg:docker/alpine@3.19'],
    ['org/app:1', amd64, 'pkg:docker/org/app@1?platform=linux%2Famd64'],
    ['127.0.0.1:5000/a/b:v1', amd64, 'pkg:docker/127.0.0.1%3A5000/a/b@v1?platform=linux%2Famd64'],
    [`alpine@${D}`, amd64, `pkg:docker/alpine?digest=${D}&platform=linux%2Famd64`],
    [
      'ghcr.io/o/app:1',
      { os: 'linux', architecture: 'arm', variant: 'v7' },
      'pkg:docker/ghcr.io/o/app@1?platform=linux%2Farm%2Fv7',
    ],
  ])('%s', (ref, platform, want) => {
    expect(imagePurl(ref, platform)).toBe(want);
  });
});

describe('redactCredentials', () => {
  it.each([
    ['https://user:tok@host/r.git#main', 'https://xxxxx:xxxxx@host/r.git#main'],
    ['https://tok@host/r.git', 'https://xxxxx@host/r.git'],
    ['https://:tok@host/r.git', 'https://:xxxxx@host/r.git'],
    ['https://host/r.git', 'https://host/r.git'],
    ['http://a:b@c@host:8080/x?q=1', 'http://xxxxx:xxxxx@host:8080/x?q=1'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['/some/dir', '/some/dir'],
  ])('%s', (url, want) => {
    expect(redactCredentials(url)).toBe(want);
  });
});

it("goJson escapes what Go's encoder escapes", () => {
  expect(goJson({ a: '<b>&\u2028' })).toBe('{"a":"\\u003cb\\u003e\\u0026\\u2028"}');
});

describe('attestedIndex', () => {
  const image = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: D,
    size: 123,
    platform: amd64,
  };
  const statement = statementBytes(
    [{ name: 'pkg:docker/app@1?platform=linux%2Famd64', digest: { sha256: 'a'.repeat(64) } }],
    'https://slsa.dev/provenance/v0.2',
    { x: 1 },
  );
  const att = attestedIndex(image, statement, 'https://slsa.dev/provenance/v0.2');

  it('the statement: in-toto v0.1, its fields in Go struct order', () => {
    expect(statement.toString()).toBe(
      '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2",' +
        `"subject":[{"name":"pkg:docker/app@1?platform=linux%2Famd64","digest":{"sha256":"${'a'.repeat(64)}"}}],` +
        '"predicate":{"x":1}}',
    );
  });

  it('the index: the image, then the attestation manifest for unknown/unknown', () => {
    const index = JSON.parse(att.index.bytes.toString()) as Record<string, unknown>;
    expect(att.index.descriptor.digest).toBe(sha256(att.index.bytes));
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: image.mediaType, digest: D, size: 123, platform: amd64 },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: att.attestation.descriptor.digest,
          size: att.attestation.bytes.length,
          annotations: {
            'vnd.docker.reference.digest': D,
            'vnd.docker.reference.type': 'attestation-manifest',
          },
          platform: { architecture: 'unknown', os: 'unknown' },
        },
      ],
    });
    // json.MarshalIndent(…, "", "  ")
    expect(att.index.bytes.toString().split('\n')[1]).toBe('  "schemaVersion": 2,');
  });

  it('the attestation manifest: one in-toto layer, annotated with its predicate type', () => {
    const m = JSON.parse(att.attestation.bytes.toString()) as {
      config: { digest: string; mediaType: string };
      layers: unknown[];
    };
    expect(m.layers).toEqual([
      {
        mediaType: 'application/vnd.in-toto+json',
        digest: sha256(statement),
        size: statement.length,
        annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
      },
    ]);
    const config = att.blobs.find((b) => b.descriptor.digest === m.config.digest)!;
    expect(m.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(config.bytes.toString()).toBe(
      `{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":["${sha256(statement)}"]}}`,
    );
    expect(att.blobs.map((b) => b.descriptor.digest)).toEqual([
      att.attestation.descriptor.digest,
      m.config.digest,
      sha256(statement),
    ]);
  });
});
