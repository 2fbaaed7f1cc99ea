/**
 * errorAnswer: what a registry's or token server's refusal says, in one line,
 * as `docker login` shows it ("unauthorized: bad credentials").
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorAnswer, type Response } from '../../src/registry/http.js';

const answer = (body: string | Buffer) =>
  errorAnswer({ status: 401, headers: {}, body: Readable.from([Buffer.from(body)]) } as Response);

describe('errorAnswer', () => {
  it.each([
    [
      'a distribution error body: the code lower-cased, then the message',
      '{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials","detail":null}]}',
      'unauthorized: bad credentials',
    ],
    [
      'several errors, joined; underscores in a code become spaces',
      '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"},{"code":"DENIED"}]}',
      'name unknown: repository name not known; denied',
    ],
    [
      'an OAuth error: its description',
      '{"error":"invalid_grant","error_description":"expired"}',
      'expired',
    ],
    [
      'an OAuth error without a description: the error',
      '{"error":"invalid_grant"}',
      'invalid_grant',
    ],
    ['short plain text, made one line', 'no\r\nentry\tfor you\n', 'no entry for you'],
    ['an HTML page says nothing', '<html><body>401</body></html>', undefined],
    ['JSON of another shape says nothing', '{"status":"nope"}', undefined],
    ['an empty body says nothing', '', undefined],
  ])('%s', async (_, body, expected) => {
    expect(await answer(body)).toBe(expected);
  });

  it('a long answer is cut to 200 characters, ending in an ellipsis', async () => {
    const said = await answer(`{"errors":[{"code":"DENIED","message":"${'x'.repeat(500)}"}]}`);
    expect(said).toHaveLength(200);
    expect(said!.startsWith('denied: xxx')).toBe(true);
    expect(said!.endsWith('…')).toBe(true);
  });

  it('a message with line breaks and control characters stays one line', async () => {
    const said = await answer('{"errors":[{"code":"DENIED","message":"a\\nb\\u001b[31mc"}]}');
    expect(said).toBe('denied: a b [31mc');
  });
});
