/**
 * RUN --mount option parsing, as BuildKit's parseMount (commands_runmount.go)
 * reads it: aliases, defaults, CSV quoting, expansion field by field, sizes.
 */
import { describe, expect, it } from 'vitest';
import {
  expandMount,
  joinFields,
  parseMount,
  ramInBytes,
  splitFields,
} from '../../src/dockerfile/mount.js';
import type { Span } from '../../src/errors.js';

const span: Span = { file: 'Dockerfile', line: 2, col: 5, endLine: 2, endCol: 80 };

describe('parseMount', () => {
  it.each([
    ['target=/x', { type: 'bind', target: '/x', readonly: true, required: false }],
    ['type=bind,src=a,dst=/x,rw', { type: 'bind', source: 'a', target: '/x', readonly: false }],
    [
      'type=bind,source=a,destination=/x,readwrite=true',
      { source: 'a', target: '/x', readonly: false },
    ],
    ['type=BIND,Target=/x,RO=false', { type: 'bind', target: '/x', readonly: false }],
    ['type=cache,target=/c', { type: 'cache', readonly: false }],
    ['type=cache,target=/c,ro', { type: 'cache', readonly: true }],
    [
      'type=cache,target=/c,sharing=LOCKED,mode=0755,uid=1,gid=2',
      { sharing: 'locked', mode: 0o755, uid: 1, gid: 2 },
    ],
    ['type=tmpfs,target=/t,size=64m', { type: 'tmpfs', size: 64 * 1024 * 1024, readonly: false }],
    ['type=secret,id=s,required', { type: 'secret', id: 's', required: true, readonly: true }],
    ['type=secret,id=s,required=false,env=TOKEN', { required: false, env: 'TOKEN' }],
    ['type=ssh,required=1', { type: 'ssh', required: true }],
  ])('%s', (value, want) => {
    expect(parseMount(value, span)).toMatchObject(want);
  });
});

describe('CSV fields', () => {
  it('reads quoted fields and writes them back the same', () => {
    const fields = splitFields('type=bind,"source=a,b","target=/x ""y"""');
    expect(fields).toEqual([
      { text: 'type=bind', offset: 0 },
      { text: 'source=a,b', offset: 10 },
      { text: 'target=/x "y"', offset: 23 },
    ]);
    const texts = (fields as { text: string }[]).map((f) => f.text);
    expect(splitFields(joinFields(texts))).toMatchObject(texts.map((text) => ({ text })));
  });

  it('refuses a bare quote as Go encoding/csv does', () => {
    expect(splitFields('target=/a"b')).toBe(
      'parse error on line 1, column 10: bare " in non-quoted-field',
    );
  });
});

describe('expandMount', () => {
  it('expands every value but from, and checks the result at the field', () => {
    const vars: Record<string, string> = { DIR: '/cache', KIND: 'cache', SIZE: 'big' };
    const x = (v: string) => v.replace(/\$(\w+)/g, (_, n: string) => vars[n] ?? '');
    expect(expandMount('type=$KIND,target=$DIR,from=$X', span, x)).toBe(
      'type=cache,target=/cache,from=$X',
    );
    let err: unknown;
    try {
      // The flag as written: `--mount=` and the value, on one line.
      const value = 'type=tmpfs,target=/t,size=$SIZE';
      expandMount(value, { ...span, endCol: span.col + '--mount='.length + value.length }, x);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ reason: 'invalid value for size: big', span: { col: 34 } });
  });
});

describe('ramInBytes (docker/go-units)', () => {
  it.each([
    ['100', 100],
    ['1k', 1024],
    ['64m', 67108864],
    ['1.5g', 1610612736],
    ['512KiB', 524288],
    ['2 MB', 2097152],
    ['lots', undefined],
  ])('%s', (v, n) => expect(ramInBytes(v)).toBe(n));
});
