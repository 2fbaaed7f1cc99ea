/** `-q`: the image ID alone on stdout, as `docker build -q`; a failure's tail on stderr. */
import { describe, expect, it } from 'vitest';
import { QuietProgress } from '../../../src/cli/progress/quiet.js';
import { collector } from '../../helpers/streams.js';
import { failing, oneStage, oneStageResult, runFailed } from './events.js';

describe('quiet progress', () => {
  it('prints only the full image ID, with a newline (docker: sha256:…\\n)', () => {
    const out = collector();
    const err = collector();
    const p = new QuietProgress({ stdout: out.stream, stderr: err.stream });
    for (const e of oneStage) p.onEvent(e);
    expect(out.text()).toBe('');
    p.end({ result: oneStageResult });
    expect(out.text()).toBe(`${oneStageResult.id}\n`);
    expect(err.text()).toBe('');
  });

  it("prints the failed step's tail, exit code and log on stderr, nothing on stdout", () => {
    const out = collector();
    const err = collector();
    const p = new QuietProgress({ stdout: out.stream, stderr: err.stream });
    for (const e of failing) p.onEvent(e);
    p.end({ error: new Error('failed') });
    expect(out.text()).toBe('');
    expect(err.text()).toBe(
      '------\n > Step 2/2 : RUN echo a; echo b >&2; exit 3:\na\nb\n------\nexit code: 3\nfull log: /store/logs/step-2.log\n',
    );
  });

  it('takes the failure from the error when no failed event came', () => {
    const err = collector();
    const p = new QuietProgress({ stdout: collector().stream, stderr: err.stream });
    for (const e of failing.filter((e) => e.type !== 'failed')) p.onEvent(e);
    p.end({ error: runFailed() });
    expect(err.text()).toBe(
      '------\n > Step 2/2 : RUN echo a; echo b >&2; exit 3:\na\nb\n------\nexit code: 3\nfull log: /store/logs/step-2.log\n',
    );
  });
});
