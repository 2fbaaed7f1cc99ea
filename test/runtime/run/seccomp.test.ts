/**
 * Docker's default seccomp profile as tsbuild evaluates it (seccomp.ts), and
 * its compilation to BPF for the built-in sandbox and crun (seccomp-bpf.ts).
 * What the filter does to real system calls is compared with Docker in
 * test/security/sandbox.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '../../../src/errors.js';
import { compareKernel, defaultSeccomp } from '../../../src/runtime/run/seccomp.js';
import { compileSeccomp } from '../../../src/runtime/run/seccomp-bpf.js';
import { DEFAULT_CAPABILITIES } from '../../../src/runtime/run/spec.js';
import { caught } from '../../helpers/caught.js';

const recorded = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../../fixtures/seccomp/docker-20.10-build-step-amd64.json'),
    'utf8',
  ),
) as unknown;

describe('defaultSeccomp', () => {
  it('is what Docker 20.10 wrote for a build step on amd64', () => {
    const s = defaultSeccomp({ goarch: 'amd64', caps: DEFAULT_CAPABILITIES, kernel: '6.1.0' });
    expect(s).toEqual(recorded);
  });

  it('follows the capabilities, the architecture and the kernel', () => {
    const names = (s: ReturnType<typeof defaultSeccomp>) => s.syscalls.flatMap((r) => r.names);
    const admin = defaultSeccomp({ goarch: 'amd64', caps: ['CAP_SYS_ADMIN'], kernel: '6.1' });
    expect(names(admin)).toContain('unshare');
    expect(admin.syscalls.some((r) => r.names.includes('clone3'))).toBe(false);
    expect(names(admin)).not.toContain('chroot');
    const arm = defaultSeccomp({ goarch: 'arm64', caps: [], kernel: '6.1' });
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(names(arm)).toContain('cacheflush');
    expect(names(arm)).not.toContain('arch_prctl');
    const old = defaultSeccomp({ goarch: 'amd64', caps: [], kernel: '4.4.0-210-generic' });
    expect(names(old)).not.toContain('ptrace');
  });

  it('compares kernel versions by their numbers', () => {
    expect(compareKernel('4.10', '4.8')).toBeGreaterThan(0);
    expect(compareKernel('4.8.0-1-amd64', '4.8')).toBe(0);
    expect(compareKernel('3.19', '4.8')).toBeLessThan(0);
  });
});

describe('compileSeccomp', () => {
  it('compiles the x86 profile into one whole BPF program', () => {
    const bpf = compileSeccomp(defaultSeccomp({ goarch: 'amd64', caps: DEFAULT_CAPABILITIES }));
    expect(bpf.length % 8).toBe(0);
    expect(bpf.length / 8).toBeLessThanOrEqual(4096);
    // It starts by loading the architecture (offset 4 of struct seccomp_data).
    expect([bpf.readUInt16LE(0), bpf.readUInt32LE(4)]).toEqual([0x20, 4]);
  });

  it('refuses an architecture it has no system call numbers for', () => {
    const e = caught(
      () => compileSeccomp(defaultSeccomp({ goarch: 'arm64', caps: DEFAULT_CAPABILITIES })),
      TsbuildError,
    );
    expect(e.code).toBe('SECCOMP_UNSUPPORTED');
    expect(e.message).toBe(
      'the built-in sandbox compiles seccomp filters for x86 only, not SCMP_ARCH_AARCH64, SCMP_ARCH_ARM: install runc or crun',
    );
  });
});
