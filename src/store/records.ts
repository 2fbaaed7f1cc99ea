/** Image records: what index.json says about each image, gathered per manifest. */
import type { Descriptor, Manifest } from '../image/types.js';
import { repoDigestsOf } from './entries.js';
import { ADDED_ANNOTATION, PARENT_ANNOTATION, TAGGED_ANNOTATION, refName } from './layout.js';

export interface ImageRecord {
  /** Image ID: the config's digest. */
  id: string;
  /** The manifest's descriptor (no annotations). */
  manifest: Descriptor;
  /** Full references (`docker.io/library/app:latest`), oldest tag first. */
  tags: string[];
  /** `host/name@sha256:…` (canonical) references a registry knows the image by (pulled or pushed), sorted. */
  repoDigests: string[];
  /** The image it was built on, by ID (Docker's `Parent`). */
  parent: string | undefined;
  /** When it entered this store (RFC 3339). */
  added: string;
  /** When it was last tagged (Docker's `Metadata.LastTagTime`). */
  lastTagTime: string | undefined;
}

export async function groupImages(
  entries: Descriptor[],
  readManifest: (d: Descriptor) => Promise<Manifest>,
): Promise<ImageRecord[]> {
  const byDigest = new Map<string, Descriptor[]>();
  for (const d of entries) {
    const list = byDigest.get(d.digest);
    if (list) list.push(d);
    else byDigest.set(d.digest, [d]);
  }
  return Promise.all(
    [...byDigest.values()].map(async (group) => {
      const first = group[0]!;
      const manifest = await readManifest(first);
      const tags = group.map(refName).filter((r): r is string => r !== undefined);
      const tagTimes = group
        .map((d) => d.annotations?.[TAGGED_ANNOTATION])
        .filter((t): t is string => t !== undefined)
        .sort();
      return {
        id: manifest.config.digest,
        manifest: { mediaType: first.mediaType, digest: first.digest, size: first.size },
        tags,
        repoDigests: [...new Set(group.flatMap(repoDigestsOf))].sort(),
        parent: first.annotations?.[PARENT_ANNOTATION],
        added: first.annotations?.[ADDED_ANNOTATION] ?? '',
        lastTagTime: tagTimes[tagTimes.length - 1],
      };
    }),
  );
}
