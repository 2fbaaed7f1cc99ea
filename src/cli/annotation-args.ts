/**
 * `--annotation [TYPE[,TYPE…]:]KEY=VALUE` read as buildx's ParseAnnotations
 * reads it: the value after the first `=`, types before the first `:` (so a key
 * holding a colon needs its type written out: `manifest:a:b=c`), each type
 * optionally with a platform in brackets: `manifest[linux/amd64]:k=v`.
 */
import { ANNOTATION_TYPES, type BuildAnnotation } from '../api/build-annotations.js';
import { UsageError } from '../errors.js';

const TYPE_AND_PLATFORM = /^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$/;

export function annotationsFrom(list: string[]): BuildAnnotation[] {
  const out: BuildAnnotation[] = [];
  for (const text of list) {
    if (text === '') continue;
    const bad = (why: string) => new UsageError(`invalid --annotation "${text}": ${why}`);
    const eq = text.indexOf('=');
    if (eq < 0) throw bad('expected key=value');
    const left = text.slice(0, eq);
    const value = text.slice(eq + 1);
    const colon = left.indexOf(':');
    const key = colon < 0 ? left : left.slice(colon + 1);
    // BuildKit's exporter reads `annotation.KEY` with KEY matching \S+.
    if (!/^\S+$/.test(key)) throw bad('the key is empty or holds white space');
    if (colon < 0) {
      out.push({ key, value });
      continue;
    }
    for (const item of left.slice(0, colon).split(',')) {
      const m = TYPE_AND_PLATFORM.exec(item);
      if (!m)
        throw bad(
          `invalid annotation type "${item}", expected type and optional platform in square brackets`,
        );
      const type = m[1]!;
      if (!(ANNOTATION_TYPES as readonly string[]).includes(type))
        throw bad(`unknown annotation type "${type}" (${ANNOTATION_TYPES.join(', ')})`);
      out.push({
        type: type as BuildAnnotation['type'] & string,
        ...(m[2] !== undefined ? { platform: m[2] } : {}),
        key,
        value,
      });
    }
  }
  return out;
}
