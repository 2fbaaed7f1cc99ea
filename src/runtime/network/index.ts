/**
 * The network of RUN steps in `default` mode: what `docker build` gives a step
 * (a network namespace of its own, outbound traffic NATed to the world, the
 * host's name servers) without a daemon, a bridge or iptables.
 *
 * One namespace per build, made on the first RUN that needs it and shared by
 * the build's steps (each step's processes are gone when it ends, so nothing
 * listens from one step into the next), served by a user-mode network stack:
 *
 * - pasta (Debian's passt): the namespace gets the host's addresses and routes
 *   copied, and pasta forwards its TCP/UDP/ICMP through host sockets. No port
 *   is forwarded either way and the gateway is not mapped to the host, so a
 *   step cannot reach the host's loopback services, as under Docker's bridge.
 * - slirp4netns: 10.0.2.0/24 behind a NAT, DNS at 10.0.2.3, host loopback
 *   disabled, sandboxed and under seccomp.
 * - neither installed: the host's own namespace (BuildKit's OCI worker does so
 *   when no CNI is set up), with its loopback in reach; the build says so.
 *
 * The namespace is a bind mount of nsfs on a file in the build's work dir, so
 * the sweep of a killed build's dir unmounts it; stopStaleNetwork ends the
 * pasta such a build left.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TsbuildError } from '../../errors.js';
import { findTool } from '../run/find.js';

export type NetworkKind = 'pasta' | 'slirp4netns' | 'host';

export interface SandboxNetwork {
  kind: NetworkKind;
  /** The namespace file steps join; undefined for 'host'. */
  netns?: string;
  /** Name servers for the steps' resolv.conf; undefined: the host's (loopback ones dropped). */
  nameservers?: string[];
  /** One line for the build's output, saying what RUN steps get. */
  description: string;
  close(): Promise<void>;
}

const DESCRIPTIONS: Record<NetworkKind, string> = {
  pasta: 'a private network namespace, outbound traffic through pasta (the host is not reachable)',
  slirp4netns:
    'a private network namespace, outbound traffic through slirp4netns (the host is not reachable)',
  host: "the host's network namespace (neither pasta nor slirp4netns is installed)",
};

/**
 * A network for a build's steps, in `dir` (made here); the first of `order`
 * whose tool is installed.
 *
 * @example
 * const net = await openNetwork(join(work, 'net'));
 * // RunSpec.network: net.netns ? { netns: net.netns, nameservers: net.nameservers } : 'host'
 * await net.close();
 */
export async function openNetwork(
  dir: string,
  order: readonly NetworkKind[] = ['pasta', 'slirp4netns', 'host'],
): Promise<SandboxNetwork> {
  for (const kind of order) {
    if (kind === 'host') return { kind, description: DESCRIPTIONS.host, close: async () => {} };
    let tool: string;
    try {
      tool = findTool(kind);
    } catch {
      continue;
    }
    await mkdir(dir, { recursive: true });
    const netns = await makeNamespace(dir);
    try {
      const close =
        kind === 'pasta' ? await startPasta(tool, netns, dir) : await startSlirp(tool, netns);
      return {
        kind,
        netns,
        ...(kind === 'slirp4netns' ? { nameservers: ['10.0.2.3'] } : {}),
        description: DESCRIPTIONS[kind],
        close: async () => {
          await close();
          await removeNamespace(netns);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      await removeNamespace(netns);
      throw e;
    }
  }
  throw new TsbuildError(
    'NETWORK_UNAVAILABLE',
    `no network for RUN steps: tried ${order.join(', ')}`,
    {
      order,
    },
  );
}

/** A new network namespace, kept alive by a bind mount on `<dir>/netns`. */
async function makeNamespace(dir: string): Promise<string> {
  const file = join(dir, 'netns');
  writeFileSync(file, '');
  // `true` by path too: unshare would walk PATH for it.
  const args = [`--net=${file}`, findTool('true')];
  await run(findTool('unshare'), args, 'create a network namespace');
  return file;
}

async function removeNamespace(file: string): Promise<void> {
  // Lazily: pasta may still hold the namespace while it exits.
  await run(findTool('umount'), ['-l', file], 'unmount the network namespace').catch(
    () => undefined,
  );
}

/**
 * pasta into `netns`: it configures the interface, then forks into the
 * background (its pid in <dir>/pasta.pid) and returns. As root it must keep
 * uid 0 to enter a namespace root owns; it still drops its capabilities but
 * two, and confines itself (namespaces, seccomp, no_new_privs).
 */
async function startPasta(tool: string, netns: string, dir: string): Promise<() => Promise<void>> {
  const pidFile = join(dir, 'pasta.pid');
  await run(
    tool,
    [
      ...['--config-net', '--quiet', '--runas', '0:0', '--no-map-gw'],
      // No port forwarding either way: the host's ports stay out of reach.
      ...['-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none'],
      ...['--netns', netns, '--pid', pidFile],
    ],
    'start pasta',
  );
  return async () => stopPasta(pidFile, netns);
}

/**
 * SIGTERM the pasta recorded in `pidFile`, if it is still the one serving
 * `netns`, and wait until it has exited: a build that has ended leaves no
 * pasta running (a SIGTERM is only a request; until pasta is next scheduled it
 * goes on, and on a loaded machine that is a while). pasta daemonized, so it
 * is not our child and there is no 'exit' to wait for: /proc says when it has
 * gone (a zombie left for init to reap has no command line, so it no longer
 * counts). One that has not gone after STOP_WAIT_MS is killed, and one that
 * outlives that too (stuck in the kernel) is left: closing never hangs.
 */
async function stopPasta(pidFile: string, netns: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (!serving(pid, netns)) return; // exited, and the pid is someone else's now
    try {
      process.kill(pid, signal);
    } catch {
      return; // Already gone.
    }
    const until = Date.now() + STOP_WAIT_MS;
    while (serving(pid, netns) && Date.now() < until)
      await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  }
}

/** How long a pasta is given to exit after SIGTERM (and again after SIGKILL), and how often it is looked at. */
const STOP_WAIT_MS = 2_000;
const STOP_POLL_MS = 5;

/** Whether `pid` is a live process with `netns` on its command line (a pasta serving it). */
function serving(pid: number, netns: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(netns);
  } catch {
    return false;
  }
}

/**
 * The pasta a killed build left serving the namespace in its work dir `dir`
 * (`<dir>/net`): stopped before the sweep unmounts the namespace.
 */
export function stopStaleNetwork(buildDir: string): Promise<void> {
  const dir = join(buildDir, 'net');
  return stopPasta(join(dir, 'pasta.pid'), join(dir, 'netns'));
}

/**
 * slirp4netns for `netns`, as a child that lives until close() or until this
 * process dies (its --exit-fd is a pipe only we hold); ready when it writes
 * to --ready-fd.
 */
async function startSlirp(tool: string, netns: string): Promise<() => Promise<void>> {
  const child = spawn(
    tool,
    [
      ...['--configure', '--mtu=65520', '--disable-host-loopback'],
      ...['--enable-sandbox', '--enable-seccomp', '--ready-fd=3', '--exit-fd=4'],
      ...['--netns-type=path', netns, 'tap0'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const [, , stderr, ready, exit] = child.stdio as unknown as [
    null,
    null,
    NodeJS.ReadableStream,
    NodeJS.ReadableStream,
    NodeJS.WritableStream,
  ];
  let err = '';
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise<void>((resolve, reject) => {
    ready.once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(
        new TsbuildError('NETWORK_UNAVAILABLE', `slirp4netns exited ${code}: ${err.trim()}`, {
          code,
        }),
      ),
    );
  });
  child.unref();
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.ref(); // until it is reaped
    const gone = new Promise((r) => child.once('exit', r));
    exit.end();
    child.kill('SIGTERM');
    await gone;
  };
}

function run(file: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      // pasta also reports that it cannot reach syslog: not the reason.
      const why = err.split('\n').find((l) => l.trim() !== '' && !l.startsWith('Failed to send'));
      reject(
        new TsbuildError('NETWORK_UNAVAILABLE', `cannot ${what}: ${why || `exit ${code}`}`, {}),
      );
    });
  });
}
