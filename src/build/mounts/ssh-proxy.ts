/**
 * RUN --mount=type=ssh: a socket of the step's own, with the mount's owner and
 * mode, that passes each connection through to the build's agent — so
 * `uid=1000,mode=0600` holds whatever the agent's own socket is (BuildKit
 * proxies the same way, over its session).
 */
import { chmod, chown } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';

export async function agentProxy(
  agent: string,
  at: string,
  owner: { uid: number; gid: number; mode: number },
): Promise<{ close(): Promise<void> }> {
  const server: Server = createServer((client) => {
    const upstream = connect(agent);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, () => resolve());
  });
  await chown(at, owner.uid, owner.gid);
  await chmod(at, owner.mode);
  // Connections still open (a background ssh) are cut when the step ends.
  const open = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  return {
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
