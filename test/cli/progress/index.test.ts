/** `--progress=auto` picks the live view for a terminal, BuildKit's plain text otherwise, as buildx. */
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../src/cli/progress/index.js';
import { JsonProgress } from '../../../src/cli/progress/json.js';
import { ClassicProgress } from '../../../src/cli/progress/classic.js';
import { PlainProgress } from '../../../src/cli/progress/plain.js';
import { QuietProgress } from '../../../src/cli/progress/quiet.js';
import { RawJsonProgress } from '../../../src/cli/progress/rawjson.js';
import { TtyProgress } from '../../../src/cli/progress/tty.js';
import { collector } from '../../helpers/streams.js';

function streams(tty: boolean) {
  const stderr = collector().stream;
  if (tty) Object.assign(stderr, { isTTY: true, columns: 80 });
  return { stdout: collector().stream, stderr };
}

describe('createProgress', () => {
  it.each([
    ['auto', true, {}, TtyProgress],
    ['auto', false, {}, PlainProgress],
    ['auto', true, { TERM: 'dumb' }, PlainProgress],
    ['plain', true, {}, PlainProgress],
    ['classic', false, {}, ClassicProgress],
    ['tty', false, {}, TtyProgress],
    ['json', true, {}, JsonProgress],
    ['rawjson', false, {}, RawJsonProgress],
    ['quiet', true, {}, QuietProgress],
  ] as const)('%s with stderr a terminal: %s, env %j', (mode, tty, env, type) => {
    const p = createProgress(mode, { ...streams(tty), env });
    p.end({ error: new Error('stop') });
    expect(p).toBeInstanceOf(type);
  });
});
