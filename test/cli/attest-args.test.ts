/**
 * `--provenance`, `--sbom` and `--attest` as buildx reads them
 * (util/buildflags/attests.go), and what tsbuild refuses: an SBOM (there is no
 * generator), attributes it does not know.
 */
import { describe, expect, it } from 'vitest';
import { parseBuildArgs } from '../../src/cli/build-args.js';
import { UsageError } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';

const parse = (...flags: string[]) => parseBuildArgs([...flags, '.'], {}, '/x').request.provenance;

describe('what is asked for', () => {
  it.each([
    [[], undefined],
    [['--provenance=false'], undefined],
    [['--provenance=0'], undefined],
    [['--provenance='], undefined],
    [['--provenance=true'], { mode: 'max' }],
    [['--provenance=mode=min'], { mode: 'min' }],
    [['--provenance', 'mode=max'], { mode: 'max' }],
    [['--provenance=mode=full'], { mode: 'max' }],
    [
      ['--provenance=mode=min,builder-id=https://ci/run/1,reproducible=true'],
      { mode: 'min', builderId: 'https://ci/run/1', reproducible: true },
    ],
    [['--provenance=mode=min,version=v0.2,inline-only=true'], { mode: 'min' }],
    [['--attest', 'type=provenance,mode=min'], { mode: 'min' }],
    [['--attest', 'type=provenance'], { mode: 'max' }],
    [['--attest', 'type=provenance,disabled=true'], undefined],
    // The last of a type wins, the shorthand over --attest.
    [['--attest', 'type=provenance,mode=min', '--provenance=false'], undefined],
    [['--provenance=false', '--attest', 'type=provenance,mode=min'], undefined],
    [
      ['--attest', 'type=provenance,mode=min', '--attest', 'type=provenance,mode=max'],
      { mode: 'max' },
    ],
    [['--sbom=false'], undefined],
    [['--attest', 'type=sbom,disabled=true', '--provenance=mode=min'], { mode: 'min' }],
  ])('%j', (flags, want) => {
    expect(parse(...flags)).toEqual(want);
  });
});

describe('what is refused, in one line', () => {
  it.each([
    [['--sbom=true'], 'SBOM attestations are not supported: tsbuild has no SBOM generator yet'],
    [['--sbom=generator=x/y'], 'SBOM attestations are not supported'],
    [['--attest', 'type=sbom'], 'SBOM attestations are not supported'],
    [['--attest', 'type=vex'], 'unknown attestation type "vex"'],
    [['--attest', 'mode=max'], 'attestation type not specified'],
    [['--provenance=mode=most'], 'invalid provenance mode "most"'],
    [['--provenance=version=v1'], 'provenance version=v1 is not supported'],
    [['--provenance=filename=p.json'], 'provenance filename= is not supported'],
    [['--provenance=reproducible=yes'], 'invalid provenance reproducible=yes'],
    [['--provenance=colour=blue'], 'unknown provenance attribute "colour"'],
    [['--provenance=oops'], 'invalid value oops'],
  ])('%j', (flags, want) => {
    let err: unknown;
    try {
      parse(...flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(want);
    expect((err as Error).message).not.toContain('\n');
  });

  it('the CLI: --sbom=true exits with one line and no stack trace', async () => {
    const r = await cli(['build', '--sbom=true', '.']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('SBOM attestations are not supported');
    expect(r.stderr).not.toMatch(/\bat .*\.js/);
  });

  it('--help names the three flags', async () => {
    const r = await cli(['build', '--help']);
    for (const flag of ['--provenance', '--attest', '--sbom']) expect(r.stdout).toContain(flag);
  });
});
