/**
 * RUN --mount=type=ssh: `git clone` over ssh inside a RUN, against the
 * loopback sshd (test/setup/sshd.ts), through a real ssh-agent — the one at
 * $SSH_AUTH_SOCK (`--ssh default`) and one tsbuild starts for key files
 * (`--ssh id=KEY`). The image's git and ssh are the host's binaries with the
 * libraries ldd names, copied over busybox: busybox has neither.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../src/api/build.js';
import { DockerfileError } from '../../src/errors.js';
import { rejected } from '../helpers/caught.js';
import { tempRoot } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { startSshd, type Sshd } from '../setup/sshd.js';
import { buildIn, contextOf, flatten, storeWithBusybox } from './harness.js';

/** A context whose rootfs/ holds git and ssh as the host has them, libraries included. */
function hostToolsContext(dockerfile: string): string {
  const ctx = contextOf({ Dockerfile: dockerfile });
  const files = new Set<string>(['/usr/bin/git', '/usr/bin/ssh', '/usr/bin/ssh-add']);
  for (const bin of [...files]) {
    const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
    for (const m of out.matchAll(/(\/\S+\.so[^\s]*)/g)) files.add(m[1]!);
  }
  for (const f of files) {
    const to = join(ctx, 'rootfs', f);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(realpathSync(f), to);
  }
  // git runs its helpers (index-pack, fetch-pack) as `git <name>` from its exec path.
  mkdirSync(join(ctx, 'rootfs/usr/lib/git-core'), { recursive: true });
  copyFileSync('/usr/bin/git', join(ctx, 'rootfs/usr/lib/git-core/git'));
  execFileSync('chmod', ['-R', 'a+rx', join(ctx, 'rootfs')]);
  return ctx;
}

let sshd: Sshd;
let repo: string;
let agent: ChildProcess;
let agentSock: string;

beforeAll(async () => {
  sshd = await startSshd();
  const dir = tempRoot('tsbuild-ssh-repo-');
  repo = join(dir, 'repo.git');
  const work = join(dir, 'work');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
  git('init', '-q', '--bare', repo);
  git('init', '-q', work);
  execFileSync('sh', ['-c', 'echo cloned over ssh > hello.txt'], { cwd: work });
  git('-C', work, 'add', 'hello.txt');
  git('-C', work, 'commit', '-q', '-m', 'one');
  git('-C', work, 'push', '-q', repo, 'HEAD:refs/heads/main');
  git('--git-dir', repo, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  // A real agent holding the client key, as a developer's would.
  agentSock = join(tempRoot('tsbuild-ssh-agent-'), 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  // Up once it answers (ssh-add -l: 1 for no keys, 2 while it cannot connect — its
  // socket exists a moment before it listens), however long that takes here.
  const env = { SSH_AUTH_SOCK: agentSock };
  await until(() => spawnSync('ssh-add', ['-l'], { env, stdio: 'ignore' }).status !== 2, 10);
  execFileSync('ssh-add', ['-q', sshd.clientKey], { env });
}, 60_000);

afterAll(async () => {
  agent?.kill();
  await sshd?.stop();
});

const clone = (id: string) =>
  [
    'FROM busybox',
    'COPY rootfs/ /',
    'ENV GIT_SSH_COMMAND="ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"',
    `RUN --network=host --mount=type=ssh${id} git clone -q ssh://root@127.0.0.1:PORT/REPO /src && (echo $SSH_AUTH_SOCK; stat -c "%u:%g %a" $SSH_AUTH_SOCK; ssh-add -l | wc -l) > /agent`,
    'RUN --mount=type=ssh,id=other,uid=1000,gid=1000,mode=0660,target=/tmp/agent.sock stat -c "%u:%g %a" /tmp/agent.sock > /agent2 || echo absent > /agent2',
  ].join('\n');

describe('RUN --mount=type=ssh', () => {
  it('--ssh default forwards $SSH_AUTH_SOCK: git clone over ssh in a RUN', async () => {
    const root = await storeWithBusybox();
    const ctx = hostToolsContext(
      clone('').replace('PORT', String(sshd.port)).replace('REPO', repo.slice(1)),
    );
    await buildIn(root, {
      context: ctx,
      tags: ['ssh:1'],
      env: { SSH_AUTH_SOCK: agentSock },
      ssh: { default: [], other: [agentSock] },
    });
    const fs = await flatten(root, 'ssh:1');
    expect(readFileSync(join(fs, 'src/hello.txt'), 'utf8')).toBe('cloned over ssh\n');
    expect(readFileSync(join(fs, 'agent'), 'utf8')).toBe('/run/buildkit/ssh_agent.0\n0:0 600\n1\n');
    expect(readFileSync(join(fs, 'agent2'), 'utf8')).toBe('1000:1000 660\n');
    // The sockets' directories stay, as in BuildKit; the sockets do not.
    expect(readdirSync(join(fs, 'run/buildkit'))).toEqual([]);
  }, 180_000);

  it('--ssh ID=KEY starts an agent of its own for the key, and stops it', async () => {
    const root = await storeWithBusybox();
    const ctx = hostToolsContext(
      clone(',id=mykey').replace('PORT', String(sshd.port)).replace('REPO', repo.slice(1)),
    );
    const before = readdirSync('/dev/shm').filter((n) => n.startsWith('tsbuild-agent-'));
    await buildIn(root, {
      context: ctx,
      tags: ['ssh:2'],
      env: {},
      ssh: { mykey: [sshd.clientKey] },
    });
    const fs = await flatten(root, 'ssh:2');
    expect(readFileSync(join(fs, 'src/hello.txt'), 'utf8')).toBe('cloned over ssh\n');
    expect(readFileSync(join(fs, 'agent'), 'utf8')).toBe('/run/buildkit/ssh_agent.0\n0:0 600\n1\n');
    // An optional agent that was not given is not mounted.
    expect(readFileSync(join(fs, 'agent2'), 'utf8')).toBe('absent\n');
    const after = readdirSync('/dev/shm').filter((n) => n.startsWith('tsbuild-agent-'));
    expect(after).toEqual(before);
  }, 180_000);

  it('--ssh ID=KEY adds the key once its agent listens, not once its socket exists', async () => {
    // ssh-agent binds its socket, then listens: here a real one that waits half a
    // second in between (a preloaded listen(); a copy, as the installed one is
    // setgid and ignores LD_PRELOAD). An ssh-add in the gap is refused.
    const dir = tempRoot('tsbuild-slow-agent-');
    const shim = join(dir, 'slow-listen.so');
    writeFileSync(
      join(dir, 'slow-listen.c'),
      '#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <unistd.h>\n' +
        'int listen(int fd, int backlog) {\n' +
        '  int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");\n' +
        '  usleep(500000);\n  return real(fd, backlog);\n}\n',
    );
    execFileSync('gcc', ['-shared', '-fPIC', '-o', shim, join(dir, 'slow-listen.c'), '-ldl']);
    const agent = execFileSync('sh', ['-c', 'command -v ssh-agent'], { encoding: 'utf8' }).trim();
    copyFileSync(agent, join(dir, 'agent'));
    chmodSync(join(dir, 'agent'), 0o755);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'ssh-agent'),
      `#!/bin/sh\nLD_PRELOAD=${shim} exec ${join(dir, 'agent')} "$@"\n`,
      { mode: 0o755 },
    );
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN --mount=type=ssh,id=mykey test -S $SSH_AUTH_SOCK\n',
    });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const r = await buildIn(await storeWithBusybox(), {
        context: ctx,
        network: 'none',
        ssh: { mykey: [sshd.clientKey] },
      });
      expect(r.cached).toEqual({ 'RUN --mount=type=ssh,id=mykey test -S $SSH_AUTH_SOCK': false });
    } finally {
      process.env.PATH = path;
    }
  }, 60_000);

  it('a required agent not given is an error naming it', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({
      Dockerfile: 'FROM busybox\nRUN --mount=type=ssh,id=deploy,required true\n',
    });
    const e = await rejected(build({ root, env: {}, context: ctx, network: 'none' }));
    expect(e).toBeInstanceOf(DockerfileError);
    expect(e.code).toBe('SSH_MISSING');
    expect((e as DockerfileError).reason).toBe(
      'ssh agent "deploy" is required but was not given: pass --ssh deploy=<socket or key file>',
    );
  }, 60_000);

  it('--ssh default without SSH_AUTH_SOCK is refused before anything runs', async () => {
    const e = await rejected(
      build({ root: tempRoot('tsbuild-ssh-none-'), env: {}, context: '.', ssh: { default: [] } }),
    );
    expect(e.code).toBe('SSH_SOURCE');
    expect(e.message).toBe(
      '--ssh default: SSH_AUTH_SOCK is not set, so there is no agent to forward; give a socket or key file (--ssh default=PATH)',
    );
  });
});
