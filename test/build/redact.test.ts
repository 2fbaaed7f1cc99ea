/** A step's output with its secrets replaced by ****, wherever the chunks split them. */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/build/mounts/redact.js';

const run = (secrets: string[], chunks: string[]) => {
  const r = new Redactor(secrets.map((s) => Buffer.from(s)));
  return chunks.map((c) => r.push(c)).join('') + r.flush();
};

describe('Redactor', () => {
  it('replaces a value split across chunks, and the value without its trailing newline', () => {
    expect(run(['hunter2\n'], ['pass: hun', 'ter2 and ', 'hunter2\n', 'done\n'])).toBe(
      'pass: **** and ****done\n',
    );
  });

  it('replaces the longer of two overlapping values whole', () => {
    expect(run(['abc', 'abcdef'], ['xabcdefx abc'])).toBe('x****x ****');
  });

  it('passes output through untouched when there is no secret', () => {
    const r = new Redactor([]);
    expect([r.active, r.push('plain'), r.flush()]).toEqual([false, 'plain', '']);
  });
});
