/**
 * Compiling a seccomp profile (seccomp.ts, the OCI form) into the classic BPF
 * program the kernel runs, for the built-in sandbox: runc and crun do this
 * with libseccomp, which a daemonless TypeScript tool cannot link; its helper
 * (native/sandbox-init.c) only loads the bytes. x86 only (x86_64, i386, x32):
 * the numbers come from syscall-numbers.ts.
 *
 * The program, with libseccomp's meaning:
 *
 *   ld arch; x86_64 → A, i386 → C, else kill the process
 *   A: ld nr; nr has the x32 bit → B; <x86_64 rules>; ret default
 *   B: <x32 rules>; ret default
 *   C: ld nr; <i386 rules>; ret default
 *
 * Each ABI's rules start with runc's stub (libcontainer/seccomp/patchbpf): a
 * number above the newest system call the profile names is answered ENOSYS,
 * not the default EPERM, so that a program tries the older call a newer one
 * replaces (fchmodat2 → fchmodat), as it does under Docker, whose runc
 * patches every filter so.
 *
 * Each ABI's rules: first one block per system call with argument conditions
 * (an OR of rules, each an AND of 64-bit comparisons; none matching is the
 * default action), then every other named call as runs of consecutive
 * numbers sharing an action, three instructions a run. A name the ABI lacks is
 * skipped, as libseccomp skips it.
 */
import { TsbuildError } from '../../errors.js';
import type { OciSeccomp, OciSyscallRule } from './seccomp.js';
import type { ProfileArg } from './seccomp-profile.js';
import { SYSCALL_NUMBERS } from './syscall-numbers.js';

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const LD_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
const ALU_AND = 0x54; // BPF_ALU | BPF_AND | BPF_K
const JA = 0x05; // BPF_JMP | BPF_JA
const JEQ = 0x15;
const JGT = 0x25;
const JGE = 0x35;
const RET = 0x06; // BPF_RET | BPF_K

const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const ENOSYS = 38;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_SYSCALL_BIT = 0x40000000;

/** struct seccomp_data: nr, arch, instruction_pointer, args[6] (little-endian halves). */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i;
const argHigh = (i: number) => 16 + 8 * i + 4;

const ins = (code: number, k: number, jt = 0, jf = 0): Insn => ({ code, jt, jf, k: k >>> 0 });
const ret = (k: number) => ins(RET, k);

/**
 * The filter for `profile` as the bytes of a `struct sock_filter[]`, ready for
 * prctl(PR_SET_SECCOMP); SECCOMP_UNSUPPORTED for an architecture other than x86.
 *
 * @example
 * writeFileSync(file, compileSeccomp(defaultSeccomp({ caps: DEFAULT_CAPABILITIES })));
 */
export function compileSeccomp(profile: OciSeccomp): Buffer {
  const archs = new Set(profile.architectures);
  const unsupported = [...archs].filter(
    (a) => !['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'].includes(a),
  );
  if (archs.size === 0 || unsupported.length > 0) {
    throw new TsbuildError(
      'SECCOMP_UNSUPPORTED',
      `the built-in sandbox compiles seccomp filters for x86 only, not ${unsupported.join(', ') || 'this architecture'}: install runc or crun`,
      { architectures: profile.architectures },
    );
  }
  const fallback = ret(RET_ERRNO | EPERM);
  const x86_64 = archs.has('SCMP_ARCH_X86_64')
    ? section(table('x86_64'), profile.syscalls, fallback)
    : [ret(RET_KILL_PROCESS)];
  const x32 = archs.has('SCMP_ARCH_X32')
    ? section(table('x32'), profile.syscalls, fallback)
    : [ret(RET_KILL_PROCESS)];
  const i386 = archs.has('SCMP_ARCH_X86')
    ? section(table('i386'), profile.syscalls, fallback)
    : [ret(RET_KILL_PROCESS)];

  // Layout: head (6), x86_64 part (3 + rules), x32 rules, i386 part (1 + rules).
  const head = 6;
  const a = head;
  const b = a + 3 + x86_64.length;
  const c = b + x32.length;
  const program: Insn[] = [
    ins(LD_ABS, OFF_ARCH),
    ins(JEQ, AUDIT_ARCH_X86_64, 0, 1),
    ins(JA, a - 3),
    ins(JEQ, AUDIT_ARCH_I386, 0, 1),
    ins(JA, c - 5),
    ret(RET_KILL_PROCESS),
    ins(LD_ABS, OFF_NR),
    ins(JGE, X32_SYSCALL_BIT, 0, 1),
    ins(JA, b - (a + 3)),
    ...x86_64,
    ...x32,
    ins(LD_ABS, OFF_NR),
    ...i386,
  ];
  if (program.length > 4096) throw new Error(`seccomp filter too long: ${program.length}`);
  const out = Buffer.alloc(program.length * 8);
  program.forEach((p, i) => {
    out.writeUInt16LE(p.code, i * 8);
    out.writeUInt8(p.jt, i * 8 + 2);
    out.writeUInt8(p.jf, i * 8 + 3);
    out.writeUInt32LE(p.k, i * 8 + 4);
  });
  return out;
}

/** One ABI's rules, the system call number in A; ends with the default action. */
function section(numbers: Map<string, number>, rules: OciSyscallRule[], fallback: Insn): Insn[] {
  const plain = new Map<number, number>();
  const conditional = new Map<number, OciSyscallRule[]>();
  let newest = -1;
  for (const rule of rules) {
    for (const name of rule.names) {
      const nr = numbers.get(name);
      if (nr === undefined) continue;
      newest = Math.max(newest, nr);
      if (rule.args === undefined || rule.args.length === 0) {
        if (!plain.has(nr)) plain.set(nr, action(rule));
      } else {
        conditional.set(nr, [...(conditional.get(nr) ?? []), rule]);
      }
    }
  }
  const out: Insn[] = newest < 0 ? [] : [ins(JGT, newest, 0, 1), ret(RET_ERRNO | ENOSYS)];
  for (const [nr, list] of conditional) {
    if (plain.has(nr)) continue; // an unconditional rule covers every argument
    const block = [...list.flatMap(ruleBlock), fallback];
    out.push(shortJump(JEQ, nr, 0, block.length), ...block);
  }
  for (const [lo, hi, act] of runs(plain)) {
    out.push(ins(JGE, lo, 0, 2), ins(JGT, hi, 1, 0), ret(act));
  }
  out.push(fallback);
  return out;
}

/** The comparisons of one rule, failing forward past its `ret`. */
function ruleBlock(rule: OciSyscallRule): Insn[] {
  const checks = (rule.args ?? []).map(compare);
  const length = checks.reduce((n, c) => n + c.length, 0) + 1;
  const out: Insn[] = [];
  for (const check of checks) {
    for (const step of check) {
      const at = out.length;
      // FAIL marks a jump to just past this rule's ret.
      const fix = (j: number) => (j === FAIL ? length - at - 1 : j);
      out.push({ ...step, jt: fix(step.jt), jf: fix(step.jf) });
    }
  }
  out.push(ret(action(rule)));
  return out;
}

const FAIL = -1;

/** A 64-bit comparison of one argument, as two 32-bit halves. */
function compare(arg: ProfileArg): Insn[] {
  const value = BigInt(arg.op === 'SCMP_CMP_MASKED_EQ' ? (arg.valueTwo ?? 0) : arg.value);
  const hi = Number(value >> 32n);
  const lo = Number(value & 0xffffffffn);
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return [
        ins(LD_ABS, argHigh(arg.index)),
        { ...ins(JEQ, hi), jf: FAIL },
        ins(LD_ABS, argLow(arg.index)),
        { ...ins(JEQ, lo), jf: FAIL },
      ];
    case 'SCMP_CMP_NE':
      // Fails only when both halves are equal; the high half differing passes at once.
      return [
        ins(LD_ABS, argHigh(arg.index)),
        ins(JEQ, hi, 0, 2),
        ins(LD_ABS, argLow(arg.index)),
        { ...ins(JEQ, lo), jt: FAIL },
      ];
    case 'SCMP_CMP_MASKED_EQ': {
      const mask = BigInt(arg.value);
      return [
        ins(LD_ABS, argHigh(arg.index)),
        ins(ALU_AND, Number(mask >> 32n)),
        { ...ins(JEQ, hi), jf: FAIL },
        ins(LD_ABS, argLow(arg.index)),
        ins(ALU_AND, Number(mask & 0xffffffffn)),
        { ...ins(JEQ, lo), jf: FAIL },
      ];
    }
  }
}

function action(rule: OciSyscallRule): number {
  if (rule.action === 'SCMP_ACT_ALLOW') return RET_ALLOW;
  return RET_ERRNO | ((rule.errnoRet ?? EPERM) & 0xffff);
}

/** [lo, hi, action] for each run of consecutive numbers with one action, ascending. */
function runs(plain: Map<number, number>): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const nr of [...plain.keys()].sort((x, y) => x - y)) {
    const last = out[out.length - 1];
    const act = plain.get(nr)!;
    if (last !== undefined && last[1] === nr - 1 && last[2] === act) last[1] = nr;
    else out.push([nr, nr, act]);
  }
  return out;
}

function shortJump(code: number, k: number, jt: number, jf: number): Insn {
  if (jt > 255 || jf > 255) throw new Error(`seccomp filter: a jump of ${Math.max(jt, jf)}`);
  return ins(code, k, jt, jf);
}

const tables = new Map<string, Map<string, number>>();

function table(abi: keyof typeof SYSCALL_NUMBERS): Map<string, number> {
  let t = tables.get(abi);
  if (t === undefined) {
    t = new Map(
      SYSCALL_NUMBERS[abi]
        .trim()
        .split(/\s+/)
        .map((w) => {
          const [name, nr] = w.split('=');
          return [name!, Number(nr)];
        }),
    );
    tables.set(abi, t);
  }
  return t;
}
