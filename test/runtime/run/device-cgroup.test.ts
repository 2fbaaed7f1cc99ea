/**
 * tsbuild's own device cgroup (cgroup v1's devices controller, which this
 * machine mounts): the rules it holds, its removal, and the sweep of those a
 * killed tsbuild left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDeviceCgroup } from '../../../src/runtime/run/device-cgroup.js';
import { DEVICE_RULES } from '../../../src/runtime/run/spec.js';

const unique = (what: string) => `tsbuild-test-${what}-${process.pid}-${Date.now()}`;

describe('createDeviceCgroup', () => {
  it("holds Docker's device rules, and goes when removed", async () => {
    const cg = createDeviceCgroup(unique('rules'), DEVICE_RULES)!;
    expect(cg).toBeDefined();
    const dir = dirname(cg.procs);
    const list = readFileSync(join(dir, 'devices.list'), 'utf8').trim().split('\n').sort();
    expect(list).toEqual(
      [
        'b *:* m',
        'c *:* m',
        'c 1:3 rwm',
        'c 1:5 rwm',
        'c 1:7 rwm',
        'c 1:8 rwm',
        'c 1:9 rwm',
        'c 10:200 rwm',
        'c 136:* rwm',
        'c 5:0 rwm',
        'c 5:1 rwm',
        'c 5:2 rwm',
      ].sort(),
    );
    await cg.remove();
    expect(existsSync(dir)).toBe(false);
  });

  it('sweeps the empty cgroups a killed run left, never a fresh or a busy one', async () => {
    const first = createDeviceCgroup(unique('first'), DEVICE_RULES)!;
    const parent = dirname(dirname(first.procs));
    await first.remove();
    const hourAgo = new Date(Date.now() - 3_600_000);
    const make = (name: string) => {
      const dir = join(parent, unique(name));
      mkdirSync(dir);
      return dir;
    };
    const stale = make('stale');
    utimesSync(stale, hourAgo, hourAgo);
    const fresh = make('fresh');
    const busy = make('busy');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    writeFileSync(join(busy, 'cgroup.procs'), String(sleeper.pid));
    utimesSync(busy, hourAgo, hourAgo);
    try {
      const next = createDeviceCgroup(unique('next'), DEVICE_RULES)!;
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(fresh)).toBe(true);
      expect(existsSync(busy)).toBe(true);
      await next.remove();
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
      for (const dir of [fresh, busy]) await removeWhenEmpty(dir);
    }
  });
});

async function removeWhenEmpty(dir: string): Promise<void> {
  for (let i = 0; i < 100 && existsSync(dir); i++) {
    try {
      rmdirSync(dir);
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
