/** BuildKit's checks in a real build: reported in the plan and the result, and error=true. */
import { describe, expect, it } from 'vitest';
import { build } from '../../src/api/build.js';
import type { BuildEvent } from '../../src/build/events.js';
import { DockerfileError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { contextOf } from './harness.js';
import { formatPlatform, hostPlatform } from '../../src/dockerfile/scope.js';
import { Store } from '../../src/store/store.js';
import { addTestImage } from '../helpers/images.js';

const DOCKERFILE = 'FROM scratch AS Base\nCOPY tmp/a.txt /a.txt\nCMD run\n';

describe('check findings in a build', () => {
  it('reports every finding, with its rule, page and place', async () => {
    const ctx = contextOf({ Dockerfile: DOCKERFILE, 'tmp/a.txt': 'a', '.dockerignore': 'tmp\n' });
    const events: BuildEvent[] = [];
    const r = await build({
      root: tempRoot(),
      env: {},
      context: ctx,
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    // tmp is excluded, so the COPY itself fails: the findings came first.
    expect(r).toBeInstanceOf(Error);
    const plan = events.find((e) => e.type === 'plan');
    expect(
      plan?.type === 'plan' && plan.warnings.map((w) => `${w.rule}@${w.line}:${w.col}`),
    ).toEqual(['StageNameCasing@1:1', 'CopyIgnoredFile@2:1', 'JSONArgsRecommended@3:1']);
    expect(plan?.type === 'plan' && plan.warnings[1]!.url).toBe(
      'https://docs.docker.com/go/dockerfile/rule/copy-ignored-file/',
    );
  });

  it('returns the findings in BuildResult.warnings', async () => {
    const ctx = contextOf({ Dockerfile: 'FROM scratch\nCOPY a.txt /\nCMD run\n', 'a.txt': 'a' });
    const r = await build({ root: tempRoot(), env: {}, context: ctx });
    expect(r.warnings.map((w) => [w.rule, w.span.line, w.url])).toEqual([
      [
        'JSONArgsRecommended',
        3,
        'https://docs.docker.com/go/dockerfile/rule/json-args-recommended/',
      ],
    ]);
  });

  it('with error=true (directive or BUILDKIT_DOCKERFILE_CHECK), fails before any step', async () => {
    const ctx = contextOf({
      Dockerfile: `# check=error=true\n${'FROM scratch\nCOPY a.txt /\nCMD run\n'}`,
      'a.txt': 'a',
    });
    const events: BuildEvent[] = [];
    const e = await rejected(
      build({ root: tempRoot(), env: {}, context: ctx, onEvent: (ev) => events.push(ev) }),
    );
    expect(e).toBeInstanceOf(DockerfileError);
    expect((e as DockerfileError).reason).toBe(
      'lint violation found for rules: JSONArgsRecommended',
    );
    expect(events.some((ev) => ev.type === 'step')).toBe(false);
    const ok = contextOf({ Dockerfile: 'FROM scratch\nCOPY a.txt /\nCMD run\n', 'a.txt': 'a' });
    const e2 = await rejected(
      build({
        root: tempRoot(),
        env: {},
        context: ok,
        buildArgs: { BUILDKIT_DOCKERFILE_CHECK: 'error=true' },
      }),
    );
    expect((e2 as DockerfileError).code).toBe('LINT_VIOLATION');
    const skipped = await build({
      root: tempRoot(),
      env: {},
      context: ok,
      buildArgs: { BUILDKIT_DOCKERFILE_CHECK: 'skip=JSONArgsRecommended;error=true' },
    });
    expect(skipped.warnings).toEqual([]);
  });

  it("checks a base's ONBUILD triggers in the stage that runs them, at its FROM", async () => {
    const ctx = contextOf({
      Dockerfile: 'FROM scratch AS parent\nONBUILD ENV A b\nONBUILD WORKDIR app\nFROM parent\n',
    });
    const r = await build({ root: tempRoot(), env: {}, context: ctx });
    expect(r.warnings.map((w) => `${w.rule}@${w.span.line}`)).toEqual([
      'LegacyKeyValueFormat@4',
      'WorkdirRelativePath@4',
    ]);
  });

  it('reports InvalidBaseImagePlatform for a base of another architecture, and builds', async () => {
    const root = tempRoot();
    const store = await Store.open(root);
    const host = hostPlatform();
    const other = host.architecture === 'arm64' ? 'amd64' : 'arm64';
    await addTestImage(store, {
      layers: [{ 'a.txt': 'a' }],
      tags: ['foreign'],
      architecture: other,
    });
    const ctx = contextOf({ Dockerfile: 'FROM foreign\nLABEL a=b\n' });
    const r = await build({ root, env: {}, context: ctx });
    expect(r.warnings.map((w) => [w.rule, w.span.line, w.message])).toEqual([
      [
        'InvalidBaseImagePlatform',
        1,
        `Base image foreign was pulled with platform "linux/${other}", expected "${formatPlatform(host)}" for current build`,
      ],
    ]);
    // The same image for this machine is no finding.
    await addTestImage(store, {
      layers: [{ 'a.txt': 'a' }],
      tags: ['native'],
      architecture: host.architecture,
    });
    const ok = contextOf({ Dockerfile: 'FROM native\nLABEL a=b\n' });
    expect((await build({ root, env: {}, context: ok })).warnings).toEqual([]);
  });
});
