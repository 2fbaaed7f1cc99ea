/**
 * `inspect()`'s result is Docker's image inspect JSON, typed as such: the
 * `Config` is an InspectConfig whose fields have the types Docker 20.10's JSON
 * has (null, not missing, for an unset list or map; omitempty fields optional),
 * checked against the types (expectTypeOf, run by tsc) and against what Docker
 * 20.10 prints for the same image.
 */
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  importImage,
  inspect,
  type HealthConfig,
  type ImageInspect,
  type InspectConfig,
} from '../../src/index.js';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf } from '../build/harness.js';

describe('the types', () => {
  it("Config is Docker's container.Config, not a bag of unknowns", () => {
    expectTypeOf<ImageInspect['Config']>().toEqualTypeOf<InspectConfig>();
    expectTypeOf<ImageInspect['ContainerConfig']>().toEqualTypeOf<InspectConfig>();
    // The JSDoc's own example: `img.Config.Env` is the environment, or null.
    expectTypeOf<InspectConfig['Env']>().toEqualTypeOf<string[] | null>();
    expectTypeOf<InspectConfig['Cmd']>().toEqualTypeOf<string[] | null>();
    expectTypeOf<InspectConfig['Entrypoint']>().toEqualTypeOf<string[] | null>();
    expectTypeOf<InspectConfig['Labels']>().toEqualTypeOf<Record<string, string> | null>();
    expectTypeOf<InspectConfig['User']>().toEqualTypeOf<string>();
    expectTypeOf<InspectConfig['ExposedPorts']>().toEqualTypeOf<
      Record<string, Record<string, never>> | undefined
    >();
    expectTypeOf<InspectConfig['Healthcheck']>().toEqualTypeOf<HealthConfig | undefined>();
    expectTypeOf<InspectConfig['StopSignal']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ImageInspect['RootFS']['Layers']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<ImageInspect['Size']>().toEqualTypeOf<number>();
  });
});

/**
 * Docker's JSON with its keys in order, the image-specific values masked.
 * ArgsEscaped is left out: BuildKit (which tsbuild builds as) sets it for
 * every CMD and ENTRYPOINT, the classic builder (the oracle here) does not.
 */
function shape(c: InspectConfig | Record<string, unknown>): [string, unknown][] {
  return Object.entries(c)
    .filter(([k]) => k !== 'ArgsEscaped')
    .map(([k, v]) => [k, k === 'Image' || k === 'Hostname' ? typeof v : v]);
}

const BASE = 'tsbuild-inspect-types:imported';

describe("what Docker 20.10's inspect has", () => {
  let root: string;
  beforeAll(async () => {
    root = tempRoot('tsbuild-inspect-types-');
    // Both stores have the same image under one name (no shared busybox:latest is touched).
    await importImage({ root, env: {}, path: await busyboxRootfsTar(), tag: BASE });
  });

  it('an imported image: every field there, Env and the other lists and maps null', async () => {
    const tar = await busyboxRootfsTar();
    await dockerOk(['import', tar, BASE]);
    const [theirs] = JSON.parse((await dockerOk(['inspect', BASE])).stdout) as Record<
      string,
      Record<string, unknown>
    >[];
    const [ours] = await inspect({ root, env: {}, images: [BASE] });
    expect(ours!.Config.Env).toBeNull();
    expect(shape(ours!.Config)).toEqual(shape(theirs!.Config!));
    expect(shape(ours!.ContainerConfig)).toEqual(shape(theirs!.ContainerConfig!));
    expect(Object.keys(ours!)).toEqual(Object.keys(theirs!));
  });

  it('a built image: the omitempty fields where set, maps in Go order, RootFS.Layers left out when none', async () => {
    const dockerfile = [
      `FROM ${BASE}`,
      'HEALTHCHECK --interval=5s CMD true',
      'STOPSIGNAL SIGINT',
      'EXPOSE 80 443/udp',
      'VOLUME /v',
      'SHELL ["/bin/sh","-xc"]',
      'ONBUILD RUN true',
      'ENV A=1',
      'LABEL b=2 a=1',
      'ENTRYPOINT ["/bin/sh"]',
      'CMD ["-c","true"]',
      'USER 1:2',
      'WORKDIR /w',
      '',
    ].join('\n');
    const ctx = contextOf({ Dockerfile: dockerfile });
    const built = (
      await dockerOk(['build', '-q', ctx], { env: { DOCKER_BUILDKIT: '0' } })
    ).stdout.trim();
    const [theirs] = JSON.parse((await dockerOk(['inspect', built])).stdout) as Record<
      string,
      Record<string, unknown>
    >[];
    const r = await buildIn(root, { context: ctx, network: 'none' });
    const [ours] = await inspect({ root, env: {}, images: [r.id] });
    expect(shape(ours!.Config)).toEqual(shape(theirs!.Config!));
    expectTypeOf(ours!.Config.Env).toEqualTypeOf<string[] | null>();
    expect(ours!.Config.Env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'A=1',
    ]);

    const scratch = contextOf({ Dockerfile: 'FROM scratch\nLABEL a=b\n' });
    const empty = (
      await dockerOk(['build', '-q', scratch], { env: { DOCKER_BUILDKIT: '0' } })
    ).stdout.trim();
    const [theirsEmpty] = JSON.parse((await dockerOk(['inspect', empty])).stdout) as ImageInspect[];
    const e = await buildIn(root, { context: scratch });
    const [oursEmpty] = await inspect({ root, env: {}, images: [e.id] });
    expect(oursEmpty!.RootFS).toEqual(theirsEmpty!.RootFS);
    expect(oursEmpty!.RootFS).toEqual({ Type: 'layers' });
  });
});
