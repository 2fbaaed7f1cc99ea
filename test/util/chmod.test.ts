/**
 * --chmod values: the table of dchapes-mode's TestApply (the library BuildKit
 * reads symbolic modes with), its rows for a umask of 0 as BuildKit uses it,
 * and the errors, with BuildKit's own text for a bad number.
 */
import { describe, expect, it } from 'vitest';
import { parseChmod } from '../../src/util/chmod.js';

const FILE = 0o100000;
const DIR = 0o040000;
const SUID = 0o4000;
const SGID = 0o2000;
const STICKY = 0o1000;

// [before (type bits included), after (07777), mode string]
const TABLE: [number, number, string][] = [
  [0o777, 0o000, '='],
  [0o777, 0o777, '+'],
  [0o421, 0o421, '+'],
  [0o777, 0o777, '-'],
  [0o421, 0o421, '-'],
  [0o421, STICKY | 0o421, '+t'],
  [STICKY | 0o421, 0o421, '-t'],
  [0o000, 0o400, 'u+r'],
  [0o000, 0o200, 'u+w'],
  [0o000, 0o100, 'u+x'],
  [0o000, 0o000, 'u+X'],
  [0o001, 0o101, 'u+X'],
  [DIR | 0o000, 0o100, 'u+X'],
  [0o000, SUID, 'u+s'],
  [0o000, 0o040, 'g+r'],
  [0o000, 0o020, 'g+w'],
  [0o000, 0o010, 'g+x'],
  [0o000, 0o000, 'g+X'],
  [0o100, 0o110, 'g+X'],
  [DIR | 0o000, 0o010, 'g+X'],
  [0o000, SGID, 'g+s'],
  [0o000, 0o004, 'o+r'],
  [0o000, 0o002, 'o+w'],
  [0o000, 0o001, 'o+x'],
  [0o000, 0o000, 'o+X'],
  [0o100, 0o101, 'o+X'],
  [DIR | 0o000, 0o001, 'o+X'],
  [0o000, 0o000, 'o+s'],
  [0o000, 0o421, '0421'],
  [0o000, SUID | SGID | STICKY | 0o421, '07421'],
  [0o000, 0o444, '+r'],
  [0o000, 0o222, '+w'],
  [0o000, 0o111, '+x'],
  [0o000, 0o000, '+X'],
  [0o010, 0o111, '+X'],
  [DIR | 0o000, 0o111, '+X'],
  [0o000, SUID | SGID, '+s'],
  [0o777, 0o333, '-r'],
  [0o777, 0o555, '-w'],
  [0o777, 0o666, '-x'],
  [0o777, 0o777, '-X'],
  [DIR | 0o777, 0o777, '-X'],
  [SUID | SGID | 0o777, 0o777, '-s'],
  [0o777, 0o377, 'u-r'],
  [0o777, 0o577, 'u-w'],
  [0o777, 0o677, 'u-x'],
  [0o777, 0o777, 'u-X'],
  [DIR | 0o777, 0o777, 'u-X'],
  [SUID | 0o777, 0o777, 'u-s'],
  [0o000, 0o600, 'u=rw'],
  [0o777, 0o677, 'u=rw'],
  [0o777, 0o077, 'u='],
  [0o000, 0o666, '=rw'],
  [0o777, 0o666, '=rw'],
  [0o042, 0o442, 'u=g'],
  [0o742, 0o442, 'u=g'],
  [0o722, 0o022, 'u=g-w'],
  [0o742, 0o442, 'u=g-w'],
  [0o762, 0o462, 'u=g-w'],
  [0o772, 0o572, 'u=g-w'],
  [0o021, 0o121, 'u+o'],
  [0o021, 0o221, 'u+g'],
  [0o021, 0o321, 'u+go'],
  [0o000, 0o764, 'a=r,ug=rw,u+x'],
  [0o777, 0o764, 'a=r,ug=rw,u+x'],
  [0o000, STICKY | 0o624, 'o+r,g+w,a+t,g-s,u+og'],
  [SGID | 0o100, STICKY | 0o724, 'o+r,g+w,a+t,g-s,u+og'],
  [DIR | SUID | SGID, SUID | STICKY | 0o624, 'o+r,g+w,a+t,g-s,u+og'],
  [0o777, 0o644, '644'],
  [0o777, 0o755, 'go-w'],
  [0o000, 0o755, 'u=rwx,go=rx'],
  [0o000, 0o755, 'u=rwx,go=u-w'],
  [0o777, 0o700, 'go='],
  [0o770, 0o755, 'go=u-w'],
  [0o670, 0o644, 'go=u-w'],
  [0o570, 0o555, 'go=u-w'],
  [0o370, 0o311, 'go=u-w'],
];

describe('parseChmod', () => {
  it.each(TABLE)('%o with %s', (before, after, text) => {
    const mode = (before & 0o170000) === 0 ? FILE | before : before;
    expect(parseChmod(text).apply(mode).toString(8)).toBe(after.toString(8));
  });

  it('keeps setuid, setgid and sticky under an octal mode, as BuildKit 20.10 does', () => {
    expect(parseChmod('0755').apply(FILE | SUID | 0o600)).toBe(SUID | 0o755);
  });

  it("reads X after '=' as the library does: not at all (a=rX is a=r)", () => {
    expect(parseChmod('a=rX').apply(DIR | 0o700)).toBe(0o444);
    expect(parseChmod('a=r,a+X').apply(DIR | 0o700)).toBe(0o555);
    expect(parseChmod('a=r,a+X').apply(FILE | 0o600)).toBe(0o444);
    expect(parseChmod('a=r,a+X').apply(FILE | 0o700)).toBe(0o555);
  });

  it.each(['', ',', 'q+r', 'z', 'u', 'g', 'o', 'go', 'u+q', 'a=r,', '+0644', 'u+x;'])(
    'refuses %j',
    (text) => {
      expect(() => parseChmod(text)).toThrow(
        expect.objectContaining({
          code: 'INVALID_CHMOD',
          message: `invalid --chmod ${JSON.stringify(text)}: expected an octal mode (0644) or a symbolic one (u+x, a=rX, u=rwx,go=rx)`,
        }),
      );
    },
  );

  it.each(['9', '0999', '017777', '0x1ff', '12345'])(
    "refuses the number %j with BuildKit's words",
    (text) => {
      expect(() => parseChmod(text)).toThrow(
        `invalid chmod parameter: '${text}'. it should be octal string and between 0 and 07777`,
      );
    },
  );
});
