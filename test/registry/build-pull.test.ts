/**
 * `tsbuild build --pull`, as `docker build --pull`: a base the store already has
 * is asked for again, and a newer image under the same tag in the registry wins;
 * without --pull the store's copy is used and the registry is not asked. Against
 * Debian's distribution registry on loopback (test/setup/registry.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { push } from '../../src/api/push.js';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';
import { startRegistry, type Registry } from '../setup/registry.js';
import { buildIn, contextOf, flatten } from '../build/harness.js';

const env = { HOME: '/nonexistent' };
let reg: Registry;

beforeAll(async () => {
  reg = await startRegistry();
}, 60_000);

afterAll(async () => {
  await reg?.stop();
});

/** Publish a FROM scratch base whose /version.txt says `version`, as `base`. */
async function publish(root: string, base: string, version: string): Promise<void> {
  const ctx = contextOf({
    Dockerfile: 'FROM scratch\nCOPY version.txt /\n',
    'version.txt': version,
  });
  await buildIn(root, { context: ctx, tags: [base] });
  await push({ root, env, reference: base });
}

describe('build --pull', () => {
  it("uses the registry's newer base under the same tag; without it, the store's", async () => {
    const publisher = tempRoot('tsbuild-pull-publisher-');
    const user = tempRoot('tsbuild-pull-user-');
    const base = `${reg.host}/pull/base:1`;
    const app = contextOf({ Dockerfile: `FROM ${base}\nCOPY app.txt /\n`, 'app.txt': 'app\n' });
    const build = (...flags: string[]) =>
      cli(['build', '--root', user, '--progress=plain', ...flags, '-t', 'app', app], { env });
    const version = async () =>
      readFileSync(join(await flatten(user, 'app'), 'version.txt'), 'utf8');

    await publish(publisher, base, 'v1\n');
    const first = await build();
    expect(first.code).toBe(0);
    expect(await version()).toBe('v1\n');

    await publish(publisher, base, 'v2\n');
    const requests = (await reg.requests()).length;
    const cached = await build();
    expect(cached.code).toBe(0);
    expect(await version()).toBe('v1\n');
    expect((await reg.requests()).length).toBe(requests);

    const pulled = await build('--pull');
    expect([pulled.code, pulled.stdout]).toEqual([0, '']);
    expect(pulled.stderr).toContain(`Status: Downloaded newer image for ${base}`);
    expect(await version()).toBe('v2\n');

    // Nothing newer now: asked again, nothing comes down, the same image.
    const again = await build('--pull=true');
    expect(again.stderr).toContain(`Status: Image is up to date for ${base}`);
    expect(await version()).toBe('v2\n');
  });
});
