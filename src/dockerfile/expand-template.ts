/**
 * The replacement of `${v//p/r}`, which goes through Go's Regexp.Expand: for
 * a regexp without groups only `$0` / `${0}` has a value (the matched text),
 * `$$` is `$`, any other `$name` is nothing, and a `$` that starts no name
 * stays as it is:
 *
 *   ${v//b/[$0]}   "abc" → "a[b]c"
 *   ${v//b/$x}     "abc" → "ac"
 *   ${v//b/$}      "abc" → "a$c"
 *
 * The template is read once into parts, not once per match: with thousands of
 * matches and thousands of `$`s that was a product of the two.
 */

/** Literal text, or the matched text `count` times in a row. */
type Part = string | { matched: number };

export type Template = readonly Part[];

const isNameChar = (c: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(c);

export function compileTemplate(template: string): Template {
  const parts: Part[] = [];
  let text = '';
  const matched = () => {
    if (text !== '') parts.push(text);
    text = '';
    const last = parts[parts.length - 1];
    if (last !== undefined && typeof last !== 'string') last.matched++;
    else parts.push({ matched: 1 });
  };
  let i = 0;
  for (let d = template.indexOf('$'); d >= 0; d = template.indexOf('$', i)) {
    text += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      text += '$';
      i++;
      continue;
    }
    const brace = template[i] === '{';
    const start = brace ? i + 1 : i;
    let end = start;
    for (const ch of template.slice(start)) {
      if (!isNameChar(ch)) break;
      end += ch.length;
    }
    if (end === start || (brace && template[end] !== '}')) {
      text += '$'; // malformed: the `$` stays as text
      continue;
    }
    i = brace ? end + 1 : end;
    if (template.slice(start, end) === '0') matched();
  }
  text += template.slice(i);
  if (text !== '') parts.push(text);
  return parts;
}

/** The template for one match; undefined when that would pass `limit` characters. */
export function expandTemplate(t: Template, matched: string, limit: number): string | undefined {
  let out = '';
  for (const part of t) {
    const size = typeof part === 'string' ? part.length : matched.length * part.matched;
    if (out.length + size > limit) return undefined;
    out += typeof part === 'string' ? part : matched.repeat(part.matched);
  }
  return out;
}
