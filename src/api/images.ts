/**
 * `images`: what `docker images` lists, as data — one summary per image, with
 * the filters Docker's daemon applies (dangling, label, before, since,
 * reference). Rows per tag and the table are the CLI's business.
 */
import { familiarName } from '../image/reference.js';
import { UsageError } from '../errors.js';
import type { ImageRecord, Store } from '../store/store.js';
import { openStore, type StoreOptions } from './store.js';
import { imageSize } from './size.js';

export interface ImageSummary {
  /** `sha256:<hex>`, the config digest. */
  id: string;
  /** Familiar references, as Docker shows them (`app:latest`, `localhost:5000/x:1`). */
  repoTags: string[];
  /** Familiar `name@sha256:…` references a registry serves it as (pulled or pushed). */
  repoDigests: string[];
  parent: string;
  /** The config's `created` (RFC 3339), or '' when the image has none. */
  created: string;
  /** Bytes of the image's (uncompressed) layers. */
  size: number;
  labels: Record<string, string>;
  /** Untagged and no image is built on it. */
  dangling: boolean;
  /** No tag, no repo digest, and other images are built on it: hidden unless `all`. */
  intermediate: boolean;
}

export interface ImagesRequest extends StoreOptions {
  /** `-a`: include intermediate images. */
  all?: boolean;
  /** `--filter key=value`, repeatable, as Docker: keys AND, values of one key OR. */
  filters?: string[];
}

const FILTER_KEYS = new Set(['dangling', 'label', 'before', 'since', 'reference']);

/**
 * List images, newest first.
 * @example
 *   const imgs = await images({ filters: ['reference=app*'] });
 *   imgs[0].repoTags; // ['app:latest']
 */
export async function images(req: ImagesRequest = {}): Promise<ImageSummary[]> {
  const store = await openStore(req);
  const records = await store.images();
  const summaries = await Promise.all(records.map((r) => summarize(store, r, records)));
  const filters = parseFilters(req.filters ?? []);
  const keep = await filterPredicate(store, filters);
  const refs = filters.get('reference');
  return summaries
    .filter((s) => (req.all || !s.intermediate) && keep(s))
    .map((s) => {
      // Docker lists only the references the reference filter matched.
      if (!refs) return s;
      const matched = (r: string) => refs.some((p) => referenceMatches(r, p));
      return {
        ...s,
        repoTags: s.repoTags.filter(matched),
        repoDigests: s.repoDigests.filter(matched),
      };
    })
    .sort((a, b) => time(b.created) - time(a.created));
}

/** An RFC 3339 time as a number to compare (Docker compares times, not strings). */
function time(created: string): number {
  const t = Date.parse(created);
  return Number.isNaN(t) ? 0 : t;
}

async function summarize(store: Store, r: ImageRecord, all: ImageRecord[]): Promise<ImageSummary> {
  const config = await store.config(r);
  const hasChildren = all.some((o) => o.parent === r.id);
  const untagged = r.tags.length === 0;
  return {
    id: r.id,
    repoTags: r.tags.map(familiarName),
    repoDigests: r.repoDigests.map(familiarName),
    parent: r.parent ?? '',
    created: config.created ?? '',
    size: await imageSize(store, r),
    labels: config.config?.Labels ?? {},
    dangling: untagged && !hasChildren,
    intermediate: untagged && r.repoDigests.length === 0 && hasChildren,
  };
}

function parseFilters(list: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of list) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq).toLowerCase();
    if (!FILTER_KEYS.has(key)) throw new UsageError(`invalid filter '${key}'`);
    out.set(key, [...(out.get(key) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

async function filterPredicate(
  store: Store,
  filters: Map<string, string[]>,
): Promise<(s: ImageSummary) => boolean> {
  const tests: ((s: ImageSummary) => boolean)[] = [];
  const dangling = filters.get('dangling');
  if (dangling) {
    const want = dangling.map((v) => {
      if (v !== 'true' && v !== 'false') throw new UsageError(`invalid filter 'dangling=${v}'`);
      return v === 'true';
    });
    // daemon/images/images.go: dangling=true lists untagged images nothing is
    // built on (even with -a), repo digests or not; dangling=false leaves out
    // every image with neither a tag nor a repo digest.
    tests.push((s) =>
      want.some((w) => (w ? s.dangling : s.repoTags.length + s.repoDigests.length > 0)),
    );
  }
  const labels = filters.get('label');
  if (labels) tests.push((s) => labels.every((l) => labelMatches(s.labels, l)));
  for (const [key, cmp] of [
    ['before', (c: number, t: number) => c < t],
    ['since', (c: number, t: number) => c > t],
  ] as const) {
    for (const name of filters.get(key) ?? []) {
      const created = time((await store.config(await store.resolve(name))).created ?? '');
      tests.push((s) => cmp(time(s.created), created));
    }
  }
  const refs = filters.get('reference');
  if (refs)
    tests.push((s) =>
      [...s.repoTags, ...s.repoDigests].some((t) => refs.some((p) => referenceMatches(t, p))),
    );
  return (s) => tests.every((t) => t(s));
}

/** `label=key` or `label=key=value`. */
function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/**
 * Docker matches the pattern with Go's path.Match against the familiar name
 * (`app`) and the familiar reference (`app:1`, `app@sha256:…`).
 */
function referenceMatches(familiarRef: string, pattern: string): boolean {
  const at = familiarRef.indexOf('@');
  const name =
    at >= 0 ? familiarRef.slice(0, at) : familiarRef.slice(0, familiarRef.lastIndexOf(':'));
  const re = goPathMatch(pattern);
  return re.test(name) || re.test(familiarRef);
}

/** Go's path.Match as a RegExp: `*` and `?` never cross `/`; `[...]` classes; `\` escapes. */
export function goPathMatch(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new UsageError(`invalid reference filter pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += escapeRe(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
