/**
 * A step's output with its secrets' values replaced by `****` before it goes
 * anywhere — the display, the json progress, the failed step's log in the
 * store, an error's last lines. A value split across two chunks is still
 * found: the tail that could start one is held back until the next chunk.
 * Each value counts as given and with trailing whitespace trimmed (`cat` and
 * `echo $(cat …)` of a file that ends in a newline).
 */
export class Redactor {
  private readonly values: string[];
  private readonly hold: number;
  private carry = '';

  constructor(secrets: readonly Buffer[]) {
    const all = new Set<string>();
    for (const s of secrets) {
      const text = s.toString('utf8');
      for (const v of [text, text.trimEnd()]) if (v.length > 0) all.add(v);
    }
    // Longest first, so a value that contains another is replaced whole.
    this.values = [...all].sort((a, b) => b.length - a.length);
    this.hold = Math.max(0, ...this.values.map((v) => v.length - 1));
  }

  get active(): boolean {
    return this.values.length > 0;
  }

  /** What may be shown of the output so far. */
  push(data: string): string {
    if (!this.active) return data;
    const text = this.redact(this.carry + data);
    const cut = Math.max(0, text.length - this.hold);
    this.carry = text.slice(cut);
    return text.slice(0, cut);
  }

  /** The rest, at the end of the output. */
  flush(): string {
    const rest = this.redact(this.carry);
    this.carry = '';
    return rest;
  }

  private redact(text: string): string {
    for (const v of this.values) text = text.split(v).join('****');
    return text;
  }
}
