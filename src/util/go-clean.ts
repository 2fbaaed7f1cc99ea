/**
 * Go's filepath.Clean (and path.Clean, the same on Unix), for the places that
 * must agree with Docker on a path's spelling: a .dockerignore pattern, a
 * mount target, an image VOLUME, a lint message's file name.
 *
 * @example
 *   goClean('./a//b/../c'); // 'a/c'
 *   goClean('/data/');      // '/data'
 *   goClean('');            // '.'
 */
export function goClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}
