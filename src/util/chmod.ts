/**
 * `--chmod` values as BuildKit reads them (Dockerfile 1.14): octal (`0644`,
 * at most 07777) or chmod(1)'s symbolic form (`u+x`, `go-w`, `u=rwx,go=rx`,
 * `a+X`, `g=u-w`). BuildKit hands a symbolic one to the dchapes-mode library
 * with a umask of 0 (a clause without u/g/o/a applies to all three), and so do
 * we, rule for rule, including its quirks: `X` counts only after `+` (`a=rX` is
 * `a=r`; write `a=r,a+X`), and adds execute where the entry is a directory or
 * was executable by someone before the change. An octal mode replaces the
 * permission bits and keeps setuid, setgid and sticky (BuildKit 20.10 does).
 */
import { TsbuildError } from '../errors.js';

export interface ModeChange {
  /** As written. */
  readonly text: string;
  /** The permission bits (07777) an entry of mode `mode` (type bits included) gets. */
  apply(mode: number): number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const SUID = 0o4000;
const SGID = 0o2000;
const STICKY = 0o1000;
const RWXU = 0o700;
const RWXG = 0o070;
const RWXO = 0o007;
const R_ALL = 0o444;
const W_ALL = 0o222;
const X_ALL = 0o111;
const STANDARD = SUID | SGID | RWXU | RWXG | RWXO;
/** umask 0: nothing masked. */
const MASK = 0o7777;

/** `CLEAR`/`SET` with which classes (`U`, `G`, `O`) a u/g/o copy reaches. */
const CLEAR = 1;
const SET = 2;
const G_BITS = 4;
const O_BITS = 8;
const U_BITS = 16;

interface Cmd {
  /** `+`, `-`, `X`, or `u`/`g`/`o` (copy that class's bits). */
  op: string;
  flags: number;
  bits: number;
}

/**
 * @example
 * parseChmod('u=rwx,go=rx').apply(0o100600); // 0o755
 * parseChmod('a+X').apply(0o040600);         // 0o711 (a directory)
 */
export function parseChmod(text: string): ModeChange {
  if (/^[0-9]/.test(text)) {
    if (!/^[0-7]+$/.test(text) || parseInt(text, 8) > 0o7777)
      throw new TsbuildError(
        'INVALID_CHMOD',
        `invalid chmod parameter: '${text}'. it should be octal string and between 0 and 07777`,
        { chmod: text },
      );
    const octal = parseInt(text, 8);
    return { text, apply: (mode) => (mode & 0o7000) | octal };
  }
  const cmds = parseSymbolic(text);
  if (cmds === undefined)
    throw new TsbuildError(
      'INVALID_CHMOD',
      `invalid --chmod ${JSON.stringify(text)}: expected an octal mode (0644) or a symbolic one (u+x, a=rX, u=rwx,go=rx)`,
      { chmod: text },
    );
  return { text, apply: (mode) => applyCmds(cmds, mode) };
}

/** BSD setmode's grammar: `[ugoa]*([-+=]([rwxXst]*|[ugo]))+` clauses, comma-separated. */
function parseSymbolic(s: string): Cmd[] | undefined {
  const cmds: Cmd[] = [];
  let i = 0;
  let equalOpDone = false;
  for (;;) {
    let who = 0;
    for (let w = whoBits(s[i]); w !== undefined; w = whoBits(s[++i])) who |= w;
    for (;;) {
      const op = s[i++];
      if (op === '=') equalOpDone = false;
      else if (op !== '+' && op !== '-') return undefined;
      who &= ~STICKY;
      let perm = 0;
      let permX = 0;
      for (; ; i++) {
        const b = s[i] ?? '';
        if (b === 'r') perm |= R_ALL;
        else if (b === 'w') perm |= W_ALL;
        else if (b === 'x') perm |= X_ALL;
        else if (b === 'X') permX = op === '+' ? X_ALL : permX;
        else if (b === 's') perm |= who === 0 || (who & ~RWXO) !== 0 ? SUID | SGID : 0;
        else if (b === 't') {
          // Sticky only when more than "other" is named.
          if (who === 0 || (who & ~RWXO) !== 0) {
            who |= STICKY;
            perm |= STICKY;
          }
        } else if (b === 'u' || b === 'g' || b === 'o') {
          if (perm !== 0) addCmd(cmds, op, who, perm);
          perm = 0;
          if (op === '=') equalOpDone = true;
          if (permX !== 0) addCmd(cmds, 'X', who, permX);
          permX = 0;
          addCmd(cmds, b, who, op);
        } else {
          if (perm !== 0 || (op === '=' && !equalOpDone)) {
            if (op === '=') equalOpDone = true;
            addCmd(cmds, op, who, perm);
          }
          if (permX !== 0) addCmd(cmds, 'X', who, permX);
          break;
        }
      }
      if (i >= s.length) return compress(cmds);
      if (s[i] === ',') break;
    }
    i++;
  }
}

function whoBits(c: string | undefined): number | undefined {
  if (c === 'a') return STANDARD;
  if (c === 'u') return SUID | RWXU;
  if (c === 'g') return SGID | RWXG;
  if (c === 'o') return RWXO;
  return undefined;
}

/** `arg`: the bits for `+ - X`, the operator for a u/g/o copy. */
function addCmd(cmds: Cmd[], op: string, who: number, arg: number | string): void {
  if (op === 'u' || op === 'g' || op === 'o') {
    let flags = 0;
    if (who !== 0) {
      if (who & 0o400) flags |= U_BITS;
      if (who & 0o040) flags |= G_BITS;
      if (who & 0o004) flags |= O_BITS;
    } else flags = U_BITS | G_BITS | O_BITS;
    flags |= arg === '+' ? SET : arg === '-' ? CLEAR : SET | CLEAR;
    cmds.push({ op, flags, bits: who !== 0 ? ~0 : MASK });
    return;
  }
  const bits = arg as number;
  if (op === '=') {
    cmds.push({ op: '-', flags: 0, bits: who !== 0 ? who : STANDARD });
    op = '+';
  }
  cmds.push({ op, flags: 0, bits: who !== 0 ? who & bits : MASK & bits });
}

/** Runs of `+ - X` become at most one of each, as the library compacts them (order matters). */
function compress(cmds: Cmd[]): Cmd[] {
  const out: Cmd[] = [];
  for (let i = 0; i < cmds.length; i++) {
    if (!'+-X'.includes(cmds[i]!.op)) {
      out.push(cmds[i]!);
      continue;
    }
    let set = 0;
    let clear = 0;
    let x = 0;
    for (; i < cmds.length; i++) {
      const c = cmds[i]!;
      if (c.op === '-') {
        clear |= c.bits;
        set &= ~c.bits;
        x &= ~c.bits;
      } else if (c.op === '+') {
        set |= c.bits;
        clear &= ~c.bits;
        x &= ~c.bits;
      } else if (c.op === 'X') x |= c.bits & ~set;
      else {
        i--;
        break;
      }
    }
    if (clear !== 0) out.push({ op: '-', flags: 0, bits: clear });
    if (set !== 0) out.push({ op: '+', flags: 0, bits: set });
    if (x !== 0) out.push({ op: 'X', flags: 0, bits: x });
  }
  return out;
}

function applyCmds(cmds: Cmd[], mode: number): number {
  const old = mode & 0o7777;
  const dir = (mode & S_IFMT) === S_IFDIR;
  let m = old;
  const copy = (c: Cmd, value: number) => {
    if (c.flags & CLEAR) {
      const clr = c.flags & SET ? RWXO : value;
      if (c.flags & U_BITS) m &= ~((clr << 6) & c.bits);
      if (c.flags & G_BITS) m &= ~((clr << 3) & c.bits);
      if (c.flags & O_BITS) m &= ~(clr & c.bits);
    }
    if (c.flags & SET) {
      if (c.flags & U_BITS) m |= (value << 6) & c.bits;
      if (c.flags & G_BITS) m |= (value << 3) & c.bits;
      if (c.flags & O_BITS) m |= value & c.bits;
    }
  };
  for (const c of cmds) {
    if (c.op === 'u') copy(c, (m & RWXU) >> 6);
    else if (c.op === 'g') copy(c, (m & RWXG) >> 3);
    else if (c.op === 'o') copy(c, m & RWXO);
    else if (c.op === '+') m |= c.bits;
    else if (c.op === '-') m &= ~c.bits;
    else if ((old & X_ALL) !== 0 || dir) m |= c.bits;
  }
  return m & 0o7777;
}
