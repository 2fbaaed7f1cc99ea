import type { Stats } from 'node:fs';

/**
 * What a file is, in words for a message: `not a regular file (a FIFO)`.
 * @example fileKind(statSync('/dev/zero')) // 'character device'
 */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}
