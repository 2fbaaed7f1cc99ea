/**
 * Go's strings.ToLower and ToUpper, which map rune by rune with Unicode's
 * simple mappings, where JavaScript uses the full ones:
 *   goLower('İ') → 'i'   (JavaScript: 'i̇', with a combining dot)
 *   goUpper('ß') → 'ß'   (JavaScript: 'SS')
 * Docker lower-cases keywords and stage names, and upper-cases HEALTHCHECK's
 * type and ONBUILD's trigger, this way.
 */
// eslint-disable-next-line no-control-regex -- all of ASCII, control characters included
const ASCII = /^[\x00-\x7f]*$/;

export function goLower(s: string): string {
  // Keywords are ASCII nearly always; there the two mappings agree.
  if (ASCII.test(s)) return s.toLowerCase();
  return Array.from(s, (c) => (c === '\u0130' ? 'i' : simple(c.toLowerCase(), c))).join('');
}

export function goUpper(s: string): string {
  if (ASCII.test(s)) return s.toUpperCase();
  return Array.from(s, (c) => simple(c.toUpperCase(), c)).join('');
}

/** A mapping to more than one character is a full mapping only: Go leaves the rune as it is. */
function simple(mapped: string, rune: string): string {
  return Array.from(mapped).length === 1 ? mapped : rune;
}
