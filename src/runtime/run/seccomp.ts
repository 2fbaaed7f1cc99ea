/**
 * The seccomp filter of a RUN step: Docker's default profile
 * (seccomp-profile.ts) evaluated for this machine's architecture and kernel
 * and the step's capabilities, as moby's setupSeccomp does, into the OCI
 * runtime-spec form runc and crun load with libseccomp. The built-in sandbox
 * compiles the same rules to BPF itself (seccomp-bpf.ts).
 */
import { arch, release } from 'node:os';
import { ARCH_MAP, DOCKER_DEFAULT_PROFILE, type ProfileRule } from './seccomp-profile.js';

export interface OciSeccomp {
  defaultAction: 'SCMP_ACT_ERRNO';
  architectures: string[];
  syscalls: OciSyscallRule[];
}

export type OciSyscallRule = Pick<ProfileRule, 'names' | 'action' | 'errnoRet' | 'args'>;

/** Node's process.arch → Go's GOARCH, the names the profile's arch conditions use. */
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  s390x: 's390x',
  ppc64: 'ppc64le',
  mips64el: 'mips64le',
  riscv64: 'riscv64',
};

export interface SeccompTarget {
  /** GOARCH of the machine; default this one's. */
  goarch?: string;
  /** The step's capabilities (bounding set), e.g. Docker's defaults. */
  caps: readonly string[];
  /** uname release, e.g. '6.1.0-18-amd64'; default this kernel's. */
  kernel?: string;
}

/**
 * The profile's rules that apply to `target`, in the OCI form.
 *
 * @example
 * const s = defaultSeccomp({ caps: DEFAULT_CAPABILITIES });
 * s.syscalls.find((r) => r.names.includes('unshare')) // undefined: refused with EPERM
 */
export function defaultSeccomp(target: SeccompTarget): OciSeccomp {
  const goarch = target.goarch ?? GOARCH[arch()] ?? arch();
  const kernel = target.kernel ?? release();
  const has = (cap: string) => target.caps.includes(cap);
  const applies = (r: ProfileRule): boolean => {
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if (inc.arches && !inc.arches.includes(goarch)) return false;
    if (inc.caps && !inc.caps.every(has)) return false;
    if (inc.minKernel && compareKernel(kernel, inc.minKernel) < 0) return false;
    if (exc.arches?.includes(goarch)) return false;
    if (exc.caps?.some(has)) return false;
    return true;
  };
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ARCH_MAP[goarch] ?? [],
    syscalls: DOCKER_DEFAULT_PROFILE.filter(applies).map((r) => ({
      names: r.names,
      action: r.action,
      ...(r.errnoRet === undefined ? {} : { errnoRet: r.errnoRet }),
      ...(r.args === undefined ? {} : { args: r.args }),
    })),
  };
}

/** Compare two kernel versions by their leading numbers: '6.1.0-18-amd64' vs '4.8'. */
export function compareKernel(a: string, b: string): number {
  const nums = (v: string) =>
    (/^(\d+)(?:\.(\d+))?/.exec(v) ?? []).slice(1).map((n) => Number(n ?? 0));
  const [x, y] = [nums(a), nums(b)];
  for (let i = 0; i < 2; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
