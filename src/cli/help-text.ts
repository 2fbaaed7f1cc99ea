/**
 * A command's help with its flag descriptions in one column, as cobra prints
 * docker's: the column is past the longest flag (`--insecure-registry list`), so
 * a long flag does not push its own description out of line, and a description's
 * continuation lines move with it. Help texts are written with descriptions at
 * column 27; this moves them right when a flag is longer.
 *
 * @example
 * alignHelp('  -t, --tag list  Name\n      --metadata-file string  Write\n');
 * // '  -t, --tag list             Name\n      --metadata-file string   Write\n'
 */
const FLAG = /^( {2}-\S, | {6})(--[\w-]+(?: [a-z]+)?)(?: {2,}(\S.*))?$/;
const CONTINUATION = /^ {8,}(\S.*)$/;
/** Where descriptions start when every flag fits before it (the texts' own column). */
const MIN_COLUMN = 27;

export function alignHelp(text: string): string {
  const lines = text.split('\n');
  let width = 0;
  for (const line of lines) {
    const m = FLAG.exec(line);
    if (m) width = Math.max(width, m[1]!.length + m[2]!.length);
  }
  const column = Math.max(MIN_COLUMN, width + 3);
  let inFlag = false;
  return lines
    .map((line) => {
      const m = FLAG.exec(line);
      if (m) {
        inFlag = true;
        const flag = m[1]! + m[2]!;
        return m[3] === undefined ? flag : flag.padEnd(column) + m[3];
      }
      const c = inFlag ? CONTINUATION.exec(line) : null;
      if (c) return ' '.repeat(column) + c[1];
      inFlag = false;
      return line;
    })
    .join('\n');
}
