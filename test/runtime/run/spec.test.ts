import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CAPABILITIES,
  processEnv,
  runtimeSpec,
  type SpecOptions,
} from '../../../src/runtime/run/spec.js';

const base: SpecOptions = {
  rootfs: '/r',
  args: ['true'],
  env: [],
  cwd: '/',
  user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
  hostname: 'h',
  network: 'none',
  binds: [{ source: '/b/hosts', destination: '/etc/hosts' }],
};

describe('runtimeSpec', () => {
  it("gives root Docker's default capabilities, none inheritable", () => {
    const caps = runtimeSpec(base).process.capabilities;
    expect(caps).toEqual({
      bounding: DEFAULT_CAPABILITIES,
      effective: DEFAULT_CAPABILITIES,
      permitted: DEFAULT_CAPABILITIES,
    });
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
  });

  it('gives a non-root user the defaults in the bounding set only (oci.SetCapabilities)', () => {
    const s = runtimeSpec({
      ...base,
      user: { uid: 1000, gid: 1000, additionalGids: [10], home: '/home/app' },
    });
    expect(s.process.capabilities).toEqual({
      bounding: DEFAULT_CAPABILITIES,
      effective: [],
      permitted: [],
    });
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [10] });
  });

  it('drops MKNOD when no device cgroup guards it', () => {
    const caps = runtimeSpec({ ...base, deviceCgroup: false }).process.capabilities.bounding;
    expect(caps).not.toContain('CAP_MKNOD');
    expect(caps).toHaveLength(13);
  });

  it('has a network namespace for none and not for host', () => {
    const types = (n: 'host' | 'none') =>
      runtimeSpec({ ...base, network: n }).linux.namespaces.map((x) => x.type);
    expect(types('none')).toEqual(['mount', 'network', 'uts', 'pid', 'ipc']);
    expect(types('host')).toEqual(['mount', 'uts', 'pid', 'ipc']);
  });

  it("mounts the default filesystems, then the caller's binds", () => {
    const s = runtimeSpec(base);
    expect(s.mounts.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/sys/fs/cgroup',
      '/dev/mqueue',
      '/dev/shm',
      '/etc/hosts',
    ]);
    expect(s.mounts.at(-1)).toEqual({
      destination: '/etc/hosts',
      type: 'bind',
      source: '/b/hosts',
      options: ['rbind', 'rprivate', 'ro'],
    });
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.linux.resources.devices[0]).toEqual({ allow: false, access: 'rwm' });
    expect(s.process).not.toHaveProperty('noNewPrivileges');
    expect(s.linux.seccomp.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.root).toEqual({ path: '/r', readonly: false });
  });
});

describe('processEnv', () => {
  it('adds PATH and HOME when absent, keeps them when given', () => {
    expect(processEnv(['A=1'], '/root')).toEqual([
      'A=1',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOME=/root',
    ]);
    expect(processEnv(['PATH=/x', 'HOME=/h'], '/root')).toEqual(['PATH=/x', 'HOME=/h']);
  });
});
