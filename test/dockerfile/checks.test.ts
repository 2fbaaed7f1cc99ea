/** The `# check=` directive through the public parse call: skipping rules, and error=true. */
import { describe, expect, it } from 'vitest';
import { parse } from '../../src/api/parse.js';
import { DockerfileError } from '../../src/errors.js';

const BODY = 'FROM busybox\nMAINTAINER me\nCMD echo hi\n';
const rules = async (text: string) => (await parse({ text })).warnings.map((w) => w.rule);

describe('# check=', () => {
  it('keeps every warning without the directive', async () => {
    expect(await rules(BODY)).toEqual(['MaintainerDeprecated', 'JSONArgsRecommended']);
  });

  it('skips the rules it names', async () => {
    expect(await rules(`# check=skip=JSONArgsRecommended\n${BODY}`)).toEqual([
      'MaintainerDeprecated',
    ]);
    expect(await rules(`# check=skip=MaintainerDeprecated,JSONArgsRecommended\n${BODY}`)).toEqual(
      [],
    );
  });

  it('skips everything with all', async () => {
    expect(await rules(`# check=skip=all\n${BODY}`)).toEqual([]);
  });

  it('turns what remains into an error with error=true', async () => {
    const e = await parse({ text: `# check=skip=MaintainerDeprecated;error=true\n${BODY}` }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DockerfileError);
    const err = e as DockerfileError;
    expect(err.code).toBe('LINT_VIOLATION');
    expect(err.reason).toBe('lint violation found for rules: JSONArgsRecommended');
    expect(err.span.line).toBe(4);
    expect(err.sourceLine).toBe('CMD echo hi');
  });

  it('passes with error=true when nothing is left', async () => {
    expect(await rules(`# check=skip=all;error=true\n${BODY}`)).toEqual([]);
  });
});
