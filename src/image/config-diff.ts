/**
 * Which fields of two image configs differ, named as a reader finds them in
 * `tsbuild inspect`: objects are walked key by key, lists of objects (history)
 * entry by entry, and a list of plain values (Env, Cmd, rootfs.diff_ids) is
 * one field:
 *
 *   a build without SOURCE_DATE_EPOCH, run twice  →
 *     [{ path: 'created', … }, { path: 'history[3].created', … }, …]
 */
import { isDeepStrictEqual } from 'node:util';

export interface ConfigDifference {
  /** `created`, `history[2].created`, `config.Env`. */
  path: string;
  /** The build's value; absent when only the rebuild has the field. */
  first?: unknown;
  /** The rebuild's value; absent when only the build has the field. */
  rebuilt?: unknown;
}

/**
 * @example
 *   diffConfig({ created: 'a', config: { Env: ['A=1'] } }, { created: 'b', config: { Env: ['A=2'] } });
 *   // [{ path: 'created', first: 'a', rebuilt: 'b' },
 *   //  { path: 'config.Env', first: ['A=1'], rebuilt: ['A=2'] }]
 */
export function diffConfig(first: unknown, rebuilt: unknown, path = ''): ConfigDifference[] {
  if (isDeepStrictEqual(first, rebuilt)) return [];
  if (isObject(first) && isObject(rebuilt)) {
    const keys = [...new Set([...Object.keys(first), ...Object.keys(rebuilt)])];
    return keys.flatMap((k) => diffConfig(first[k], rebuilt[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(first) && Array.isArray(rebuilt) && [...first, ...rebuilt].some(isObject)) {
    const n = Math.max(first.length, rebuilt.length);
    const out: ConfigDifference[] = [];
    for (let i = 0; i < n; i++) out.push(...diffConfig(first[i], rebuilt[i], `${path}[${i}]`));
    return out;
  }
  return [
    {
      path,
      ...(first === undefined ? {} : { first }),
      ...(rebuilt === undefined ? {} : { rebuilt }),
    },
  ];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
