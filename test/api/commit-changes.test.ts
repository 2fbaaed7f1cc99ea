/**
 * `commit -c` / `import -c`: each row is a set of changes applied to the config
 * of a container that ran `full y z` (test/api/commit-docker.test.ts builds it),
 * and what Docker 20.10.24 made of it (`docker commit -c … && docker image
 * inspect -f '{{json .Config}}'`), or its error. STOPSIGNAL is the one declared
 * difference: 20.10 refuses it ("stopsignal is not a valid change command"),
 * issue 16 asks for it, and newer engines take it.
 */
import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../src/api/commit-changes.js';
import { DockerfileError } from '../../src/errors.js';
import type { ContainerConfig } from '../../src/image/types.js';

const BASE: ContainerConfig = {
  User: 'app',
  Env: ['C=3', 'A=1', 'B=2'],
  Cmd: ['y', 'z'],
  Entrypoint: ['/bin/echo'],
  WorkingDir: '/w',
  Labels: { l1: 'v1' },
  ExposedPorts: { '80/tcp': {} },
  Volumes: { '/data': {} },
};

/** [changes, the fields that differ from BASE afterwards]. */
const APPLIED: [string[], ContainerConfig][] = [
  [['CMD ["a"]'], { Cmd: ['a'] }],
  [['CMD a b'], { Cmd: ['/bin/sh', '-c', 'a b'] }],
  [['cmd lower'], { Cmd: ['/bin/sh', '-c', 'lower'] }],
  [['ENTRYPOINT ["/bin/sh"]'], { Entrypoint: ['/bin/sh'], Cmd: null }],
  [['ENTRYPOINT sh'], { Entrypoint: ['/bin/sh', '-c', 'sh'], Cmd: null }],
  [['CMD ["a"]', 'ENTRYPOINT ["b"]'], { Cmd: ['a'], Entrypoint: ['b'] }],
  [['ENV Q=1 A=over'], { Env: ['C=3', 'A=over', 'B=2', 'Q=1'] }],
  [['ENV Q=$A R=${B}x'], { Env: ['C=3', 'A=1', 'B=2', 'Q=1', 'R=2x'] }],
  [['ENV X=1', 'ENV Y=$X'], { Env: ['C=3', 'A=1', 'B=2', 'X=1', 'Y=1'] }],
  [['EXPOSE 90 91/udp'], { ExposedPorts: { '80/tcp': {}, '90/tcp': {}, '91/udp': {} } }],
  [['LABEL l2=v2 l1=new'], { Labels: { l1: 'new', l2: 'v2' } }],
  [['LABEL x=$B'], { Labels: { l1: 'v1', x: '2' } }],
  [['USER nobody'], { User: 'nobody' }],
  [['VOLUME /v2'], { Volumes: { '/data': {}, '/v2': {} } }],
  [['VOLUME ["/a","/b"]'], { Volumes: { '/data': {}, '/a': {}, '/b': {} } }],
  [['WORKDIR rel'], { WorkingDir: '/w/rel' }],
  [['WORKDIR /abs'], { WorkingDir: '/abs' }],
  [['WORKDIR $A'], { WorkingDir: '/w/1' }],
  [['WORKDIR a', 'WORKDIR b'], { WorkingDir: '/w/a/b' }],
  [['ONBUILD RUN x'], { OnBuild: ['RUN x'] }],
  [['HEALTHCHECK NONE'], { Healthcheck: { Test: ['NONE'] } }],
  [
    ['HEALTHCHECK --interval=5s CMD true'],
    { Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 } },
  ],
  // The declared difference (see above).
  [['STOPSIGNAL 9'], { StopSignal: '9' }],
];

/** [changes, Docker's error message]. */
const REFUSED: [string[], string][] = [
  [['RUN x'], 'run is not a valid change command'],
  [['FROM x'], 'from is not a valid change command'],
  [['COPY a b'], 'copy is not a valid change command'],
  [['SHELL ["a"]'], 'shell is not a valid change command'],
  [['ARG a=b'], 'arg is not a valid change command'],
  [['BOGUS x'], 'bogus is not a valid change command'],
  [[''], 'file with no instructions'],
  [['ENV'], 'ENV requires at least one argument'],
  [['ENV A'], 'ENV must have two arguments'],
  [['LABEL x'], 'LABEL must have two arguments'],
  [['USER'], 'USER requires exactly one argument'],
  [['WORKDIR'], 'WORKDIR requires exactly one argument'],
  [['EXPOSE'], 'EXPOSE requires at least one argument'],
  [['ONBUILD'], 'ONBUILD requires at least one argument'],
  [['ONBUILD FROM x'], "FROM isn't allowed as an ONBUILD trigger"],
  [['ONBUILD ONBUILD x'], "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
];

describe('commit -c', () => {
  it.each(APPLIED)('%j', (changes, differs) => {
    expect(applyChanges(structuredClone(BASE), changes)).toEqual({ ...BASE, ...differs });
  });

  it.each(REFUSED)('%j is refused', (changes, message) => {
    let err: unknown;
    try {
      applyChanges(structuredClone(BASE), changes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerfileError);
    expect((err as DockerfileError).reason).toBe(message);
    expect((err as DockerfileError).span.file).toBe('--change');
  });

  it('leaves ArgsEscaped as it was, as Docker does (a build CMD sets it)', () => {
    expect(applyChanges({ Cmd: ['x'] }, ['CMD ["a"]'])).toEqual({ Cmd: ['a'] });
    expect(applyChanges({ ArgsEscaped: true }, ['CMD ["a"]'])).toEqual({
      ArgsEscaped: true,
      Cmd: ['a'],
    });
  });

  it('changes nothing when there are none', () => {
    expect(applyChanges(BASE, [])).toBe(BASE);
  });
});
