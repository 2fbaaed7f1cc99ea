/**
 * The RUN sandbox against Docker 20.10's BuildKit, under every runtime this
 * machine has: the same probe (probe/probe.c) runs in a RUN step of each, and
 * what it sees must be the same: which system calls the seccomp filter
 * refuses and with which errno, where a chroot escape ends, which device
 * nodes can be made and opened, which file descriptors are open. Then the
 * parent's own file descriptors, which no runtime may hand to a step.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfsTar } from '../helpers/busybox.js';
import { dockerOk } from '../helpers/docker.js';
import { tempRoot } from '../helpers/tmp.js';
import { buildIn, contextOf, storeWithBusybox } from '../build/harness.js';
import { probeBinary } from './probe.js';

const RUNTIMES = ['runc', 'crun', 'builtin'] as const;
const DOCKER_BASE = 'tsbuild-security/busybox:1';

/** Every result file the Dockerfile leaves in /out. */
const RESULTS = ['syscalls.txt', 'escape.txt', 'devices.txt', 'fds.txt'];

const DOCKERFILE = `ARG BASE=busybox
FROM $BASE
COPY probe /probe
RUN mkdir /out
RUN ["/probe", "syscalls", "/out/syscalls.txt"]
RUN ["/probe", "chroot-escape", "/out/escape.txt"]
RUN { mknod /n c 1 3 && echo x > /n && echo null opened; mknod /m c 1 1 && head -c1 /m; echo "mem: $?"; rm -f /n /m; } > /out/devices.txt 2>&1
RUN ls /proc/self/fd > /out/fds.txt
`;

let root: string;
let context: string;
const docker: Record<string, string> = {};

beforeAll(async () => {
  root = await storeWithBusybox();
  context = contextOf({ Dockerfile: DOCKERFILE });
  copyFileSync(probeBinary(), join(context, 'probe'));
  await dockerOk(['import', await busyboxRootfsTar(), DOCKER_BASE]);
  const dest = tempRoot('tsbuild-security-docker-');
  await dockerOk(
    [
      ...['build', '--network=none', '--no-cache', '--build-arg', `BASE=${DOCKER_BASE}`],
      ...['-o', `type=local,dest=${dest}`, context],
    ],
    { env: { DOCKER_BUILDKIT: '1' } },
  );
  for (const f of RESULTS) docker[f] = readFileSync(join(dest, 'out', f), 'utf8');
}, 120_000);

describe('the reference, as Docker 20.10 gives it', () => {
  it('refuses what its seccomp profile refuses, and keeps Docker in the rootfs', () => {
    // Pinned here so that a test below cannot pass by both sides running without a filter.
    expect(docker['syscalls.txt']).toContain('unshare(0x10000000) 1\n');
    expect(docker['syscalls.txt']).toContain('keyctl(0x0) 1\n');
    expect(docker['syscalls.txt']).toContain('clone3(0x0) 38\n');
    expect(docker['syscalls.txt']).toContain('personality(0x8) 0\n');
    expect(docker['escape.txt']!.split('\n')).toContain('probe-escape');
    expect(docker['devices.txt']).toBe('null opened\nhead: /m: Operation not permitted\nmem: 1\n');
    expect(docker['fds.txt']).toBe('0\n1\n2\n3\n');
  });
});

describe.each(RUNTIMES)('a RUN step under %s', (runtime) => {
  const seen: Record<string, string> = {};
  beforeAll(async () => {
    const dest = tempRoot('tsbuild-security-out-');
    await buildIn(root, {
      context,
      runtime,
      noCache: true,
      network: 'none',
      outputs: [{ type: 'local', dest }],
    });
    for (const f of RESULTS) seen[f] = readFileSync(join(dest, 'out', f), 'utf8');
  }, 120_000);

  it("gets Docker's seccomp filter: the same system calls refused, with the same errno", () => {
    expect(seen['syscalls.txt']).toBe(docker['syscalls.txt']);
  });

  it('cannot chroot out of its rootfs', () => {
    expect(seen['escape.txt']).toBe(docker['escape.txt']);
  });

  it("makes device nodes, and opens only those Docker's device rules allow", () => {
    expect(seen['devices.txt']).toBe(docker['devices.txt']);
  });

  it('starts with only its standard file descriptors', () => {
    expect(seen['fds.txt']).toBe(docker['fds.txt']);
  });
});

describe.each(RUNTIMES)("the parent's file descriptors under %s", (runtime) => {
  it('never reach a RUN step: not to read through, not to write beside', async () => {
    const victim = tempRoot('tsbuild-security-victim-');
    mkdirSync(join(victim, 'dir'));
    writeFileSync(join(victim, 'secret'), 'the-secret-text\n');
    const ctx = contextOf({
      Dockerfile:
        "FROM busybox\nRUN echo \"fds: $(ls /proc/self/fd | tr '\\n' ' ')\"; cat /proc/self/fd/101; echo x > /proc/self/fd/100/../pwned; true\n",
    });
    // A CI runner or an API host may hold fds without close-on-exec; bash gives the CLI two
    // (dash cannot name an fd above 9).
    const script = `exec 100<"$1/dir" 101<"$1/secret"; shift; exec "$@"`;
    const vite = join(process.cwd(), 'node_modules', '.bin', 'vite-node');
    const cli = join(import.meta.dirname, 'cli-child.ts');
    const argv = [
      'build',
      '--root',
      root,
      '--progress=classic',
      '--no-cache',
      '--runtime',
      runtime,
    ];
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('bash', ['-c', script, 'bash', victim, vite, cli, '--', ...argv, ctx], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    // ls's own: the directory it reads is fd 3, its output a pipe (fd 1).
    expect(/^fds: (.*)$/m.exec(r.out)?.[1]).toBe('0 1 2 3 ');
    expect(r.out).not.toContain('the-secret-text');
    expect(existsSync(join(victim, 'pwned'))).toBe(false);
  }, 60_000);
});
