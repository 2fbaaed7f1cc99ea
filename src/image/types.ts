/**
 * The OCI image-spec and Docker v2 schema2 documents tsbuild reads and writes.
 * The two formats share their JSON shapes and differ in media types, so one set
 * of types serves both; `mediaType` says which a document is.
 *
 * Image ID = digest of the config blob; repo digest = digest of the manifest blob.
 */

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** How a layer blob's bytes are compressed, read off its media type. */
export type Compression = 'none' | 'gzip' | 'zstd';

const LAYER_COMPRESSION: Record<string, Compression> = {
  [MediaType.ociLayer]: 'none',
  [MediaType.ociLayerNondistributable]: 'none',
  [MediaType.ociLayerGzip]: 'gzip',
  [MediaType.ociLayerNondistributableGzip]: 'gzip',
  [MediaType.ociLayerZstd]: 'zstd',
  [MediaType.dockerLayerGzip]: 'gzip',
  [MediaType.dockerLayerForeignGzip]: 'gzip',
  // Docker's own uncompressed layer type, written by some tools.
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
};

/** The compression of a layer media type, or undefined when it is not a layer type. */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_COMPRESSION[mediaType];
}

export function isManifestType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/**
 * The runtime part of an image config. Docker's field names; Docker writes the
 * same object (plus container-only fields) as `container_config`.
 */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config blob (OCI `config.v1` = Docker `container.image.v1`). */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  comment?: string;
  parent?: string;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [extra: string]: unknown;
}

/** The OCI annotation that names a manifest in an image layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** containerd's (and Docker 25's) annotation holding the full image name. */
export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
