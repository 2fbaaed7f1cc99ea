/**
 * The front end against a real Docker engine: each case under
 * test/fixtures/docker was built by Docker 20.10 with both builders
 * (test/conformance/record-docker.sh), and its expected.json holds what each
 * produced — the image config, or the error. Here the same Dockerfile goes
 * through our parser and stage graph, the config is folded from the expanded
 * instructions, and the two must agree:
 *
 *  - Docker built it: we parse it, and the config fields the front end decides
 *    (Env, Labels, Cmd, Entrypoint, Shell, Volumes, ExposedPorts, WorkingDir,
 *    User, StopSignal, Healthcheck, OnBuild) are equal;
 *  - Docker rejected it while parsing: we reject it too, with Docker's reason.
 *
 * BuildKit is the reference; where the builders differ, or where BuildKit
 * 20.10 is behind the Dockerfile reference we follow, DIFFERENCES says so.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { buildStageGraph, type StageGraph } from '../../src/dockerfile/stages.js';
import { DockerfileError, TsbuildError } from '../../src/errors.js';
import { foldStage, type Config } from './config-fold.js';
import { BASE_CONFIG, DIFFERENCES, isBuildFailure } from './docker-cases.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'docker');

interface Recorded {
  ok: boolean;
  error?: string;
  config?: Config;
}

function ours(dir: string): StageGraph {
  const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
  const argsFile = join(dir, 'build-args');
  const buildArgs = existsSync(argsFile)
    ? Object.fromEntries(
        readFileSync(argsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      )
    : {};
  const targetFile = join(dir, 'target');
  const target = existsSync(targetFile) ? readFileSync(targetFile, 'utf8').trim() : undefined;
  return buildStageGraph(parseDockerfile(text), {
    buildArgs,
    target,
    imageEnv: (ref) => (ref === 'busybox' ? BASE_CONFIG.Env : undefined),
  });
}

const cases = readdirSync(root)
  .filter((d) => existsSync(join(root, d, 'expected.json')))
  .sort();

describe('front end vs Docker 20.10 (BuildKit)', () => {
  it('has the recorded cases', () => {
    expect(cases.length).toBeGreaterThan(40);
  });
  for (const name of cases) {
    const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as Record<
      string,
      Recorded
    >;
    const builder = DIFFERENCES[name]?.builder ?? 'buildkit';
    const docker = expected[builder]!;
    it(`${name} (${builder})`, () => {
      const override = DIFFERENCES[name];
      let graph: StageGraph | undefined;
      let error: unknown;
      try {
        graph = ours(join(root, name));
      } catch (e) {
        if (!(e instanceof TsbuildError)) throw e;
        error = e;
      }
      if (override?.error !== undefined) {
        expect(error, `${name}: ${override.why}`).toBeInstanceOf(TsbuildError);
        expect((error as TsbuildError).message).toContain(override.error);
        return;
      }
      if (docker.ok || override?.config) {
        if (error) throw error;
        const config = foldStage(graph!, graph!.target, BASE_CONFIG);
        expect(config).toEqual({ ...docker.config, ...override?.config });
        return;
      }
      if (isBuildFailure(docker.error ?? '')) {
        // Docker got past parsing and failed running a step: parsing must succeed.
        if (error) throw error;
        return;
      }
      expect(error, `Docker failed with: ${docker.error}`).toBeInstanceOf(TsbuildError);
      const e = error as TsbuildError;
      const reason = String(e.data.docker ?? (e instanceof DockerfileError ? e.reason : e.message));
      // Docker 20.10 capitalises some messages newer BuildKit does not ("Unknown flag").
      expect(docker.error!.toLowerCase()).toContain(
        reason.replace(/ \(did you mean .*\)$/, '').toLowerCase(),
      );
    });
  }
});
