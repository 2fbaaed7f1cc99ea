/**
 * The library's detached containers: runDetached resolves to the ID once the
 * process runs, containerLogs gives the entries, stopContainer and
 * killContainer signal it, startDetached runs it again; errors are
 * TsbuildErrors with Docker's words and a code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { containerLogs, type LogEntry } from '../../src/api/container-logs.js';
import { runDetached, startDetached } from '../../src/api/container-start.js';
import { killContainer, parseSignal, stopContainer } from '../../src/api/container-stop.js';
import { ps } from '../../src/api/containers.js';
import { rejected } from '../helpers/caught.js';
import { SUPERVISOR } from '../helpers/cli.js';
import { storeWithBusybox } from '../build/harness.js';

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
}, 120_000);

async function all(entries: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of entries) out.push(`${e.stream}:${e.log}`);
  return out;
}

describe('runDetached, containerLogs, stopContainer, killContainer, startDetached', () => {
  it('run a container detached, signal it, stop it, start it again', async () => {
    const script =
      'trap "echo hup" HUP; trap "exit 9" TERM; echo up; while true; do sleep 0.1; done';
    const created: string[] = [];
    const id = await runDetached({
      root,
      env: {},
      image: 'busybox',
      name: 'api-ctr',
      network: 'none',
      command: ['sh', '-c', script],
      cli: SUPERVISOR,
      onCreated: (i) => created.push(i),
    });
    expect(created).toEqual([id]);
    const [running] = await ps({ root, env: {} });
    expect(running).toMatchObject({ id, name: 'api-ctr', status: 'running' });
    // The entries so far; `up` may not be written yet: follow until it is, then stop.
    const controller = new AbortController();
    for await (const e of await containerLogs({ root, container: 'api-ctr', follow: true, signal: controller.signal }))
      if (e.log === 'up\n') controller.abort(); // prettier-ignore
    expect(await killContainer({ root, container: id.slice(0, 12), signal: 'sighup' })).toBe(id);
    expect(await stopContainer({ root, container: 'api-ctr' })).toBe(id);
    const [stopped] = await ps({ root, env: {}, all: true });
    expect(stopped).toMatchObject({ id, status: 'exited', exitCode: 9 });
    expect(await all(await containerLogs({ root, container: 'api-ctr' }))).toEqual([
      'stdout:up\n',
      'stdout:hup\n',
    ]);
    const notRunning = await rejected(killContainer({ root, container: 'api-ctr' }));
    expect(notRunning).toMatchObject({
      code: 'CONTAINER_NOT_RUNNING',
      message: `Cannot kill container: api-ctr: Container ${id} is not running`,
    });
    expect(await startDetached({ root, container: 'api-ctr', cli: SUPERVISOR })).toBe(id);
    expect((await ps({ root }))[0]).toMatchObject({ id, status: 'running' });
    expect(await killContainer({ root, container: 'api-ctr' })).toBe(id);
    expect((await ps({ root, all: true }))[0]).toMatchObject({ id, status: 'exited' });
  });

  it('rejects a command that cannot run with the exit status docker run -d has, and the ID', async () => {
    const e = await rejected(
      runDetached({
        root,
        env: {},
        image: 'busybox',
        network: 'none',
        command: ['nope'],
        cli: SUPERVISOR,
      }),
    );
    expect(e).toMatchObject({ code: 'COMMAND_NOT_FOUND', data: { exitCode: 127 } });
    expect((e as unknown as { data: { id: string } }).data.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("parses signals as Docker's ParseSignal does", async () => {
    expect([parseSignal('KILL'), parseSignal('sigterm'), parseSignal('SIGUSR1'), parseSignal('15')]).toEqual([9, 15, 10, 15]); // prettier-ignore
    for (const bad of ['NOPE', '0', '65', ''])
      expect(() => parseSignal(bad)).toThrow(`Invalid signal: ${bad}`);
  });
});
