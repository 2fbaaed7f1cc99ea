/**
 * --add-host, --shm-size and --ulimit reach every RUN step under each runner,
 * and are part of its cache key; --rm=false style booleans and the no-op flags
 * parse, unsupported docker flags are a one-line error naming the flag.
 */
import { describe, expect, it } from 'vitest';
import { parseBuildArgs } from '../../src/cli/build-args.js';
import { buildIn, contextOf, storeWithBusybox } from './harness.js';

const DF =
  "FROM busybox\nRUN grep -w db /etc/hosts; ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1 | awk '{print $2}'\n";

describe.each(['runc', 'crun', 'builtin'] as const)('RUN settings under %s', (runtime) => {
  it('shows the hosts line, the limits and the shm size; a change misses the cache', async () => {
    const root = await storeWithBusybox();
    const ctx = contextOf({ Dockerfile: DF });
    const req = {
      context: ctx,
      runtime,
      addHosts: [{ host: 'db', ip: '10.0.0.5' }],
      shmSize: 128 * 1024 * 1024,
      ulimits: [{ name: 'nofile' as const, soft: 1024, hard: 2048 }],
    };
    const b = await buildIn(root, req);
    expect(b.output).toBe('10.0.0.5\tdb\n1024\n2048\n131072\n');
    expect((await buildIn(root, req)).cached[DF.split('\n')[1]!]).toBe(true);
    const other = await buildIn(root, {
      ...req,
      ulimits: [{ name: 'nofile', soft: 512, hard: 2048 }],
    });
    expect(other.output).toBe('10.0.0.5\tdb\n512\n2048\n131072\n');
  }, 60_000);
});

describe('docker flags on the command line', () => {
  const parse = (argv: string[]) => parseBuildArgs(argv, {}, '/x').request;
  it('reads --add-host, --shm-size, --ulimit and accepts the no-ops', () => {
    const r = parse([
      '--add-host',
      'db:10.0.0.5',
      '--shm-size=128m',
      '--ulimit',
      'nofile=1024:2048',
      '--load',
      '--rm=false',
      '--force-rm',
      '--no-cache=false',
      '.',
    ]);
    expect(r).toMatchObject({
      addHosts: [{ host: 'db', ip: '10.0.0.5' }],
      shmSize: 134217728,
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
    });
    expect(r.noCache).toBeUndefined();
  });
  it('refuses bad values and unsupported flags in one line', () => {
    expect(() => parse(['--memory', '1g', '.'])).toThrow(/^--memory is not supported \(/);
    expect(() => parse(['--add-host', 'db', '.'])).toThrow('bad format for add-host: "db"');
    expect(() => parse(['--ulimit', 'nofile=3:2', '.'])).toThrow(
      'ulimit soft limit must be less than or equal to hard limit: 3 > 2',
    );
    expect(() => parse(['--shm-size', 'x', '.'])).toThrow("invalid size: 'x'");
    expect(() => parse(['--rm=maybe', '.'])).toThrow('strconv.ParseBool');
  });
});
