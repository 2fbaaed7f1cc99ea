/**
 * The words an expansion is split into (processWords: EXPOSE, VOLUME, COPY
 * sources…): white space ends a word unless it was quoted or escaped, and
 * white space that a variable produced splits too (`EXPOSE $PORTS`).
 */

/** Go's unicode.IsSpace is Unicode's White_Space: NBSP and NEL split words too. */
const isSpace = (c: number): boolean =>
  c < 128 ? c === 32 || (c >= 9 && c <= 13) : /\p{White_Space}/u.test(String.fromCodePoint(c));

/** A run of Unicode white space (the same set as isSpace). */
const SPACE_RUN = /\p{White_Space}+/gu;

/** Words being built: white space ends a word unless it was quoted or escaped. */
export class Words {
  private readonly words: string[] = [];
  private word = '';

  addChar(c: number): void {
    if (!isSpace(c)) this.word += String.fromCodePoint(c);
    else if (this.word !== '') {
      this.words.push(this.word);
      this.word = '';
    }
  }
  addRaw(s: string): void {
    this.word += s;
  }
  /** Text a variable produced: split at white space, a run at a time (not a character). */
  addSplit(s: string): void {
    let from = 0;
    for (const m of s.matchAll(SPACE_RUN)) {
      this.word += s.slice(from, m.index);
      if (this.word !== '') this.words.push(this.word);
      this.word = '';
      from = m.index + m[0].length;
    }
    this.word += s.slice(from);
  }
  finish(): string[] {
    if (this.word !== '') this.words.push(this.word);
    return this.words;
  }
}
