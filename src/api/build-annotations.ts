/**
 * `--annotation` (buildx) as BuildKit's image writer applies them to a
 * single-platform image — tsbuild builds for the host's platform only:
 *
 *   manifest:KEY=V             (the default) the image manifest's `annotations`
 *   manifest[linux/amd64]:K=V  the same, for that platform's manifest only; a
 *                              platform that is not the build's is an error, as
 *                              BuildKit's for a platform not in the result
 *   manifest-descriptor:K=V    the manifest's descriptor: in the index when there
 *                              is one, else the OCI layout's index.json entry
 *                              (`--output type=oci|docker`) and the metadata
 *                              file's containerimage.descriptor
 *   index:K=V                  the index's own (there is one only to carry a
 *                              `--provenance` attestation; without one, refused:
 *   index-descriptor:K=V       "index annotations not supported for single
 *                              platform export", BuildKit's error); the index's
 *                              descriptor: index.json's entry, the metadata's
 *
 * For one key, a platform's own value wins over the unqualified one
 * (BuildKit's AnnotationsGroup.Platform).
 */
import { formatPlatform, type Platform } from '../dockerfile/scope.js';
import { TsbuildError } from '../errors.js';

export const ANNOTATION_TYPES = [
  'manifest',
  'manifest-descriptor',
  'index',
  'index-descriptor',
] as const;
export type AnnotationType = (typeof ANNOTATION_TYPES)[number];

/** One `--annotation`: `[TYPE[[PLATFORM]]:]KEY=VALUE`. */
export interface BuildAnnotation {
  /** Where it goes; `manifest` by default. */
  type?: AnnotationType;
  /** Only for this platform's manifest (`linux/amd64`); every platform's when absent. */
  platform?: string;
  key: string;
  value: string;
}

/** What the outputs write: the manifest's own annotations, its descriptor's, the index's and its descriptor's. */
export interface ImageAnnotations {
  manifest: Record<string, string>;
  descriptor: Record<string, string>;
  index: Record<string, string>;
  indexDescriptor: Record<string, string>;
}

/**
 * `list` for an image of platform `host`; undefined when there is nothing to
 * write. `index`: whether the image goes out in an index (an attestation's).
 */
export function resolveAnnotations(
  list: readonly BuildAnnotation[] | undefined,
  host: Platform,
  { index }: { index: boolean },
): ImageAnnotations | undefined {
  if (!list || list.length === 0) return undefined;
  // Prototype-less maps: a key such as `__proto__` is an annotation like any other.
  const map = (): Record<string, string> => Object.create(null) as Record<string, string>;
  const empty = (): ImageAnnotations => ({
    manifest: map(),
    descriptor: map(),
    index: map(),
    indexDescriptor: map(),
  });
  const out = empty();
  const specific = empty();
  for (const a of list) {
    const type = a.type ?? 'manifest';
    if (!(ANNOTATION_TYPES as readonly string[]).includes(type))
      throw new TsbuildError('ANNOTATION', `unknown annotation type "${type}"`, { type });
    if (!/^\S+$/.test(a.key))
      throw new TsbuildError('ANNOTATION', `invalid annotation key "${a.key}"`, { key: a.key });
    if ((type === 'index' || type === 'index-descriptor') && !index)
      throw new TsbuildError(
        'ANNOTATION',
        `index annotations not supported for single platform export (${type}:${a.key})`,
        { type, key: a.key },
      );
    // An index type's platform is dropped, as buildx's AnnotationKey.String() drops it.
    const platform = type.startsWith('index') ? undefined : a.platform;
    const into = platform === undefined ? out : specific;
    if (platform !== undefined) {
      const p = formatPlatform(parsePlatform(platform, host));
      if (p !== formatPlatform(host))
        throw new TsbuildError(
          'ANNOTATION',
          `invalid annotation: no platform ${p} found in source (tsbuild builds ${formatPlatform(host)})`,
          { platform: a.platform },
        );
    }
    const where = {
      manifest: 'manifest',
      'manifest-descriptor': 'descriptor',
      index: 'index',
      'index-descriptor': 'indexDescriptor',
    } as const;
    into[where[type as AnnotationType]][a.key] = a.value;
  }
  return {
    manifest: { ...out.manifest, ...specific.manifest },
    descriptor: { ...out.descriptor, ...specific.descriptor },
    index: out.index,
    indexDescriptor: out.indexDescriptor,
  };
}

const OSES = ['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js'];
const MORE_OSES = ['linux', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows'];
const KNOWN_OS = new Set([...OSES, ...MORE_OSES]);

/** containerd's architecture aliases: [architecture, variant]. */
const ARCH_ALIASES: Record<string, [string, string?]> = {
  i386: ['386'],
  x86_64: ['amd64'],
  'x86-64': ['amd64'],
  aarch64: ['arm64'],
  armhf: ['arm', 'v7'],
  armel: ['arm', 'v6'],
};
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'arm',
  'arm64',
  'loong64',
  'mips',
  'mips64',
  'mips64le',
  'mipsle',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390x',
  'wasm',
  ...Object.keys(ARCH_ALIASES),
]);

/**
 * containerd's platforms.Parse + Normalize for the specifiers a user writes:
 * `os/arch[/variant]`, or one of `os` or `arch` (the other is the host's).
 */
export function parsePlatform(text: string, host: Platform): Platform {
  const parts = text.toLowerCase().split('/');
  const bad = (why: string) =>
    new TsbuildError('ANNOTATION', `invalid platform "${text}": ${why}`, { platform: text });
  if (parts.some((p) => p === '') || parts.length > 3) throw bad('want os/arch[/variant]');
  let os: string;
  let arch: string;
  let variant: string | undefined;
  if (parts.length === 1) {
    const only = parts[0]!;
    if (KNOWN_OS.has(only)) [os, arch, variant] = [only, host.architecture, host.variant];
    else if (KNOWN_ARCH.has(only)) [os, arch] = [host.os, only];
    else throw bad(`unknown operating system or architecture`);
  } else {
    [os, arch, variant] = parts as [string, string, string?];
    if (!KNOWN_OS.has(os)) throw bad(`unknown operating system "${os}"`);
    if (!KNOWN_ARCH.has(arch)) throw bad(`unknown architecture "${arch}"`);
  }
  const alias = ARCH_ALIASES[arch];
  if (alias) [arch, variant] = [alias[0], variant ?? alias[1]];
  // Normalize: arm64's v8 is arm64 itself; arm without a variant is v7.
  if (arch === 'arm64' && ['8', 'v8', 'v8.0'].includes(variant ?? '')) variant = undefined;
  if (arch === 'arm') variant = variant === undefined ? 'v7' : variant.replace(/^(\d)$/, 'v$1');
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}
