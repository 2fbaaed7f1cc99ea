/**
 * The handlers' plans, step by step over a whole Dockerfile, against what Docker
 * 20.10's BuildKit wrote for the same file (config and history `created_by`,
 * recorded with `docker save` of the built image).
 */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { buildStageGraph } from '../../src/dockerfile/stages.js';
import { goDuration } from '../../src/build/instructions/healthcheck.js';
import { planStep, type Plan, type PlanState } from '../../src/build/instructions/index.js';
import type { ContainerConfig } from '../../src/image/types.js';
import { DockerfileError } from '../../src/errors.js';

function plans(text: string, base: ContainerConfig = {}, buildArgs: Record<string, string> = {}) {
  const g = buildStageGraph(parseDockerfile(text), { buildArgs });
  const stage = g.stages[g.target]!;
  let st: PlanState = { config: base, author: undefined, cmdSet: false };
  const out: Plan[] = [];
  for (const step of stage.steps) {
    const p = planStep(step.instruction, st, step);
    out.push(p);
    st = { config: p.config, author: p.author ?? st.author, cmdSet: p.cmdSet ?? st.cmdSet };
  }
  return { out, final: st };
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

describe('plans of every metadata instruction (Docker 20.10 BuildKit confirmed)', () => {
  const { out, final } = plans(
    [
      'FROM bb',
      'ARG A=1',
      'ENV E=2 F="x y"',
      'LABEL l=1',
      'EXPOSE 80 90/udp',
      'WORKDIR /w',
      'USER 0',
      'VOLUME /v',
      'COPY f.txt /x/',
      'ADD f.txt /y',
      'RUN echo $A > /z',
      'RUN true',
      'CMD ["sh"]',
      'ENTRYPOINT echo hi',
      'STOPSIGNAL SIGTERM',
      'HEALTHCHECK --interval=5s CMD true',
      'SHELL ["/bin/sh","-c"]',
      'ONBUILD RUN echo trig',
      'MAINTAINER me',
    ].join('\n'),
    { Env: [PATH] },
  );

  it('writes the history BuildKit writes', () => {
    expect(out.map((p) => p.history)).toEqual([
      'ARG A=1',
      'ENV E=2 F=x y',
      'LABEL l=1',
      'EXPOSE map[80/tcp:{} 90/udp:{}]',
      'WORKDIR /w',
      'USER 0',
      'VOLUME [/v]',
      'COPY f.txt /x/ # buildkit',
      'ADD f.txt /y # buildkit',
      'RUN |1 A=1 /bin/sh -c echo $A > /z # buildkit',
      'RUN |1 A=1 /bin/sh -c true # buildkit',
      'CMD ["sh"]',
      'ENTRYPOINT ["/bin/sh" "-c" "echo hi"]',
      'STOPSIGNAL SIGTERM',
      `HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "0s" "0s" '\\x00'}`,
      'SHELL [/bin/sh -c]',
      undefined, // ONBUILD: BuildKit writes no history entry
      'MAINTAINER me',
    ]);
  });

  it('ends with the config BuildKit wrote', () => {
    expect(final.config).toEqual({
      User: '0',
      ExposedPorts: { '80/tcp': {}, '90/udp': {} },
      Env: [PATH, 'E=2', 'F=x y'],
      Entrypoint: ['/bin/sh', '-c', 'echo hi'],
      Cmd: ['sh'],
      Volumes: { '/v': {} },
      WorkingDir: '/w',
      Labels: { l: '1' },
      StopSignal: 'SIGTERM',
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9 },
      ArgsEscaped: true,
      OnBuild: ['RUN echo trig'],
      Shell: ['/bin/sh', '-c'],
    });
    expect(final.author).toBe('me');
  });

  it('gives metadata steps no effect, and RUN, COPY, ADD and WORKDIR one', () => {
    expect(out.map((p) => p.effect?.kind ?? '-')).toEqual([
      '-',
      '-',
      '-',
      '-',
      'mkdir',
      '-',
      '-',
      'copy',
      'copy',
      'run',
      'run',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
    ]);
  });
});

describe('handler rules', () => {
  it('ENTRYPOINT clears a CMD from the base image, not one set in this stage', () => {
    const base = { Cmd: ['base-cmd'] };
    expect(plans('FROM x\nENTRYPOINT ["/app"]', base).final.config.Cmd).toBeNull();
    expect(plans('FROM x\nCMD ["c"]\nENTRYPOINT ["/app"]', base).final.config.Cmd).toEqual(['c']);
  });

  it('resolves a relative WORKDIR against the previous one', () => {
    const { out } = plans('FROM x\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c');
    expect(out.map((p) => p.config.WorkingDir)).toEqual(['/a', '/a/b', '/a/c']);
    expect(out[2]!.effect).toEqual({ kind: 'mkdir', path: '/a/c', user: '' });
  });

  it('replaces an ENV value in place and keeps the order', () => {
    const { final } = plans('FROM x\nENV A=1 B=2\nENV A=3', { Env: [PATH] });
    expect(final.config.Env).toEqual([PATH, 'A=3', 'B=2']);
  });

  it('runs shell forms through SHELL', () => {
    const { out } = plans('FROM x\nSHELL ["/bin/bash", "-eu", "-c"]\nRUN make\nCMD serve');
    expect(out[1]!.effect).toMatchObject({ args: ['/bin/bash', '-eu', '-c', 'make'] });
    expect(out[2]!.config.Cmd).toEqual(['/bin/bash', '-eu', '-c', 'serve']);
  });

  it('gives RUN the build args it sees, ENV winning over an ARG of the same name', () => {
    const { out } = plans(
      'FROM x\nARG V=1\nARG W\nENV W=env\nRUN env',
      { Env: [PATH] },
      { W: 'arg' },
    );
    expect(out[3]!.effect).toMatchObject({ env: [PATH, 'W=env', 'V=1'] });
    expect(out[3]!.history).toBe('RUN |1 V=1 /bin/sh -c env # buildkit');
  });

  it('keeps a heredoc body with the shell command, or runs a lone one as the script', () => {
    const { out } = plans('FROM x\nRUN cat <<EOF > /f\nhello\nEOF\nRUN <<EOF\necho hi\nEOF\n');
    expect(out[0]!.effect).toMatchObject({
      args: ['/bin/sh', '-c', 'cat <<EOF > /f\nhello\nEOF\n'],
    });
    expect(out[1]!.effect).toMatchObject({ args: ['/bin/sh', '-c', 'echo hi\n'] });
  });

  it('runs a lone heredoc starting with #! as a file in /dev/pipes, as BuildKit does', () => {
    const { out } = plans('FROM x\nRUN <<SCRIPT\n#!/usr/bin/python3\nprint(1)\nSCRIPT\n');
    expect(out[0]!.effect).toMatchObject({
      args: ['/bin/sh', '-c', '/dev/pipes/SCRIPT'],
      mounts: [
        {
          type: 'inline',
          target: '/dev/pipes',
          name: 'SCRIPT',
          content: '#!/usr/bin/python3\nprint(1)\n',
        },
      ],
    });
    expect(out[0]!.history).toBe('RUN /bin/sh -c /dev/pipes/SCRIPT # buildkit');
    // The body is in the key, though not in the argv.
    const other = plans('FROM x\nRUN <<SCRIPT\n#!/usr/bin/python3\nprint(2)\nSCRIPT\n');
    expect(other.out[0]!.key).not.toBe(out[0]!.key);
  });

  it('expands EXPOSE ranges and refuses a bad port at its line', () => {
    expect(plans('FROM x\nEXPOSE 8000-8002/UDP').final.config.ExposedPorts).toEqual({
      '8000/udp': {},
      '8001/udp': {},
      '8002/udp': {},
    });
    let err: unknown;
    try {
      plans('FROM x\nEXPOSE 80/foo');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerfileError);
    expect((err as DockerfileError).span.line).toBe(2);
    expect((err as DockerfileError).message).toContain('invalid proto: foo');
  });

  it('plans RUN --mount with BuildKit defaults, out of the history and in the key', () => {
    const [, run] = plans(
      'FROM x\nWORKDIR /w\nRUN --mount=type=cache,target=c --mount=type=secret,id=npm true',
    ).out;
    expect(run!.history).toBe('RUN /bin/sh -c true # buildkit');
    expect(run!.effect).toMatchObject({
      mounts: [
        { type: 'cache', target: '/w/c', id: 'c', sharing: 'shared', source: '/', readonly: false },
        { type: 'secret', id: 'npm', target: '/run/secrets/npm', required: false, mode: 0o400 },
      ],
    });
    expect(run!.key).toBe(
      'RUN ["/bin/sh","-c","true"] --mount=type=cache,target=/w/c,id=c,sharing=shared,source=/,readonly=false --mount=type=secret,id=npm,target=/run/secrets/npm,required=false,mode=400,uid=0,gid=0',
    );
  });
});

describe('goDuration is Go time.Duration.String', () => {
  it.each([
    [0, '0s'],
    [5e9, '5s'],
    [90e9, '1m30s'],
    [1.5e9, '1.5s'],
    [5e8, '500ms'],
    [3600e9 + 1e9, '1h0m1s'],
    [1500, '1.5µs'],
  ])('%d ns → %s', (ns, want) => expect(goDuration(ns)).toBe(want));
});
