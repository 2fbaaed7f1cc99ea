/**
 * `--annotation` read as buildx's ParseAnnotations (util/buildflags/export.go;
 * the cases are those of its export_test.go, plus its errors), and resolved
 * for a single-platform image as BuildKit's image writer does.
 */
import { describe, expect, it } from 'vitest';
import { annotationsFrom } from '../../src/cli/annotation-args.js';
import { parsePlatform, resolveAnnotations } from '../../src/api/build-annotations.js';
import { TsbuildError, UsageError } from '../../src/errors.js';

const AMD64 = { os: 'linux', architecture: 'amd64' };

describe('annotationsFrom', () => {
  it.each([
    ['a=b', [{ key: 'a', value: 'b' }]],
    ['com.example=a', [{ key: 'com.example', value: 'a' }]],
    ['com.example=a=b,c', [{ key: 'com.example', value: 'a=b,c' }]],
    ['manifest:com.example=a', [{ type: 'manifest', key: 'com.example', value: 'a' }]],
    [
      'manifest[plat/form]:com.example=a',
      [{ type: 'manifest', platform: 'plat/form', key: 'com.example', value: 'a' }],
    ],
    [
      'index,manifest:com.example=a',
      [
        { type: 'index', key: 'com.example', value: 'a' },
        { type: 'manifest', key: 'com.example', value: 'a' },
      ],
    ],
    [
      'manifest-descriptor,manifest[linux/amd64]:k=',
      [
        { type: 'manifest-descriptor', key: 'k', value: '' },
        { type: 'manifest', platform: 'linux/amd64', key: 'k', value: '' },
      ],
    ],
    ['manifest:a:b=c', [{ type: 'manifest', key: 'a:b', value: 'c' }]],
  ])('%s', (text, want) => {
    expect(annotationsFrom([text])).toEqual(want);
  });

  it.each([
    ['nokey', 'invalid --annotation "nokey": expected key=value'],
    [
      'bad:com.example=a',
      'invalid --annotation "bad:com.example=a": unknown annotation type "bad"',
    ],
    [
      'org.example:k=v',
      'invalid --annotation "org.example:k=v": invalid annotation type "org.example", expected type and optional platform in square brackets',
    ],
    ['=v', 'invalid --annotation "=v": the key is empty or holds white space'],
    [
      'manifest:a b=v',
      'invalid --annotation "manifest:a b=v": the key is empty or holds white space',
    ],
  ])('refuses %s in one line', (text, message) => {
    let caught: unknown;
    try {
      annotationsFrom([text]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message.split('\n')[0]).toBe(
      message +
        (message.includes('unknown annotation type')
          ? ' (manifest, manifest-descriptor, index, index-descriptor)'
          : ''),
    );
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('resolveAnnotations', () => {
  it("splits manifest and descriptor; the build platform's own value wins", () => {
    const r = resolveAnnotations(
      [
        { key: 'a', value: '1' },
        { type: 'manifest', platform: 'linux/x86_64', key: 'a', value: 'amd64' },
        { type: 'manifest', key: 'a', value: '2' },
        { type: 'manifest-descriptor', platform: 'amd64', key: 'd', value: 'x' },
      ],
      AMD64,
      { index: false },
    );
    expect(r).toEqual({
      manifest: { a: 'amd64' },
      descriptor: { d: 'x' },
      index: {},
      indexDescriptor: {},
    });
    expect(resolveAnnotations([], AMD64, { index: false })).toBeUndefined();
  });

  it('keeps a key named __proto__ as an annotation like any other', () => {
    const r = resolveAnnotations(
      [
        { key: '__proto__', value: 'x' },
        { type: 'index', key: '__proto__', value: 'y' },
      ],
      AMD64,
      { index: true },
    )!;
    expect(JSON.stringify(r.manifest)).toBe('{"__proto__":"x"}');
    expect(JSON.stringify(r.index)).toBe('{"__proto__":"y"}');
  });

  it('takes index annotations when the image goes out in an index (an attestation)', () => {
    const r = resolveAnnotations(
      [
        { type: 'index', key: 'i', value: '1' },
        // An index type's platform is dropped, as buildx's AnnotationKey.String() drops it.
        { type: 'index-descriptor', platform: 'linux/s390x', key: 'd', value: '2' },
      ],
      AMD64,
      { index: true },
    );
    expect(r).toEqual({
      manifest: {},
      descriptor: {},
      index: { i: '1' },
      indexDescriptor: { d: '2' },
    });
  });

  it.each([
    [
      { type: 'index' as const, key: 'k', value: 'v' },
      'index annotations not supported for single platform export (index:k)',
    ],
    [
      { type: 'index-descriptor' as const, key: 'k', value: 'v' },
      'index annotations not supported for single platform export (index-descriptor:k)',
    ],
    [
      { type: 'manifest' as const, platform: 'linux/arm64/v8', key: 'k', value: 'v' },
      'invalid annotation: no platform linux/arm64 found in source (tsbuild builds linux/amd64)',
    ],
    [
      { type: 'manifest' as const, platform: 'linux/sparc', key: 'k', value: 'v' },
      'invalid platform "linux/sparc": unknown architecture "sparc"',
    ],
  ])('refuses %o', (a, message) => {
    let caught: unknown;
    try {
      resolveAnnotations([a], AMD64, { index: false });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TsbuildError);
    expect((caught as TsbuildError).code).toBe('ANNOTATION');
    expect((caught as Error).message).toBe(message);
  });

  it('normalises platforms as containerd does', () => {
    expect(parsePlatform('linux', AMD64)).toEqual(AMD64);
    expect(parsePlatform('aarch64', AMD64)).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm', AMD64)).toEqual({
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
    expect(parsePlatform('Linux/ARMHF', AMD64)).toEqual({
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
  });
});
