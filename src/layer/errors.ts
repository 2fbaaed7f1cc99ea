/**
 * Errors of the layer subsystem. The message always names the entry (or the
 * source path) it is about, so a person can find it in the layer:
 *
 *   layer entry "../../etc/passwd": path escapes the root
 */
import { TsbuildError } from '../errors.js';

export type LayerErrorCode =
  /** An entry would write, link or delete outside the root. */
  | 'LAYER_UNSAFE_PATH'
  /** The tar stream is truncated, garbled, or contradicts itself. */
  | 'LAYER_CORRUPT'
  /** A valid tar feature tsbuild does not handle (GNU sparse files, multi-volume). */
  | 'LAYER_UNSUPPORTED'
  /** The stream feeding the layer failed (e.g. a broken gzip member). */
  | 'LAYER_READ'
  /** A file system operation failed while writing or reading a tree. */
  | 'LAYER_IO'
  /** A file changed size while it was being archived. */
  | 'LAYER_CHANGED'
  /** A compression that this Node.js cannot decode. */
  | 'LAYER_COMPRESSION'
  /** A file to be archived as a layer has a name OCI reserves for whiteouts (`.wh.*`). */
  | 'LAYER_RESERVED_NAME';

export class LayerError extends TsbuildError {
  declare readonly code: LayerErrorCode;

  constructor(
    code: LayerErrorCode,
    message: string,
    data: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(code, message, data);
    this.name = 'LayerError';
    if (cause !== undefined) this.cause = cause;
  }
}

/** `layer entry "<name>": <reason>`, the form every applier error takes. */
export function entryError(
  code: LayerErrorCode,
  entry: string,
  reason: string,
  cause?: unknown,
): LayerError {
  return new LayerError(code, `layer entry ${JSON.stringify(entry)}: ${reason}`, { entry }, cause);
}

/** `layer source "<path>": <reason>`, for errors reading the tree being archived. */
export function sourceError(
  code: LayerErrorCode,
  path: string,
  reason: string,
  cause?: unknown,
): LayerError {
  return new LayerError(code, `layer source ${JSON.stringify(path)}: ${reason}`, { path }, cause);
}

/** The message of a system error without Node's "ENOENT: ..., lstat '/x'" path noise. */
export function sysReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && typeof err.syscall === 'string') {
    return `${err.syscall} failed: ${err.code}`;
  }
  return err instanceof Error ? err.message : String(e);
}
