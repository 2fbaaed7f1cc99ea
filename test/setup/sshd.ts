/**
 * An OpenSSH server on loopback for tests of ssh:// git contexts: a temp host
 * key and client key, root allowed in by that key only, on a free port. The
 * client side is GIT_SSH_COMMAND (`sshCommand`), so nothing in ~/.ssh is read
 * or written.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sshd {
  port: number;
  /** For GIT_SSH_COMMAND: batch mode, the test key, no known_hosts. */
  sshCommand: string;
  /** The private key root logs in with (for an ssh-agent). */
  clientKey: string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'tsbuild-sshd-'));
  const key = (name: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
    return join(dir, name);
  };
  const hostKey = key('host');
  const clientKey = key('client');
  execFileSync('cp', [`${clientKey}.pub`, join(dir, 'authorized_keys')]);
  // sshd's privilege separation directory; Debian's service unit makes it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  // The port is free when picked, not necessarily when sshd binds it (a
  // connection's local port, another test's server): then pick another.
  let started: { port: number; child: ChildProcess } | undefined;
  for (let attempt = 1; started === undefined; attempt++) {
    const port = await freePort();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        `PidFile ${join(dir, 'sshd.pid')}`,
      ].join('\n'),
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const listening = await new Promise<boolean>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (s: string) => {
        log += s;
        if (log.includes('Server listening')) resolve(true);
      });
      child.once('exit', () => resolve(false));
      child.once('error', reject);
    });
    if (listening) started = { port, child };
    else if (attempt >= 5 || !/Address already in use|Cannot bind/i.test(log))
      throw new Error(`sshd exited:\n${log}`);
  }
  const { port, child } = started;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port,
    clientKey,
    sshCommand: `ssh -o BatchMode=yes -i ${clientKey} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
