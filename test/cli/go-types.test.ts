/**
 * Go's Duration.String and Time.String, as the docker CLI's templates print a
 * HEALTHCHECK's durations and an image's LastTagTime. Expected values are what
 * Go prints (time.Duration(n).String(), time.Time.String()). And a
 * *container.HostConfig's embedded Resources and its pointers to scalars, as
 * Docker 20.10's CLI printed them for `docker run --init --read-only`.
 */
import { describe, expect, it } from 'vitest';
import { hostConfigOf } from '../../src/api/host-config.js';
import { durationString, goDuration, goHostConfig, goTime } from '../../src/cli/go-types.js';
import { parseTemplate } from '../../src/cli/template/index.js';
import type { RunConfig } from '../../src/store/containers.js';

describe('time.Duration', () => {
  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [999n, '999ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [100_000_000n, '100ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [7_201_000_000_000n, '2h0m1s'],
    [3_661_000_000_001n, '1h1m1.000000001s'],
    [-1_500_000_000n, '-1.5s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  ])('%s ns is %s', (ns, text) => {
    expect(durationString(ns)).toBe(text);
  });

  it('encodes as its number of nanoseconds', () => {
    const d = goDuration(5_000_000_000);
    expect([d.text, JSON.stringify({ d })]).toEqual(['5s', '{"d":5000000000}']);
  });
});

describe('time.Time', () => {
  it.each([
    ['0001-01-01T00:00:00Z', '0001-01-01 00:00:00 +0000 UTC'],
    ['2026-12-06T22:50:38.608Z', '2026-12-06 22:50:38.608 +0000 UTC'],
    ['2026-12-06T22:50:34.157722677Z', '2026-12-06 22:50:34.157722677 +0000 UTC'],
    ['2026-12-06T22:50:34.100Z', '2026-12-06 22:50:34.1 +0000 UTC'],
    ['2026-12-06T23:50:34+01:00', '2026-12-06 23:50:34 +0100 +0100'],
  ])('%s prints as %s', (rfc3339, text) => {
    const t = goTime(rfc3339);
    expect([t.text, t.json]).toEqual([text, rfc3339]);
  });
});

describe('*container.HostConfig', () => {
  const run: RunConfig = {
    entrypoint: null,
    cmd: ['true'],
    args: ['true'],
    env: [],
    cwd: '',
    user: '',
    hostname: 'h',
    mounts: [],
    binds: [],
    network: 'none',
    readOnly: true,
    init: true,
    autoRemove: false,
    tty: false,
    openStdin: false,
    runtime: 'runc',
  };
  const render = (format: string) =>
    parseTemplate(format).execute({ HostConfig: goHostConfig(hostConfigOf(run)) });

  it.each([
    // Resources' fields are promoted; Resources is a field too.
    ['{{.HostConfig.Memory}} {{.HostConfig.CPUShares}} {{.HostConfig.Resources.Memory}}', '0 0 0'],
    // A *bool prints its value alone, an address inside a struct or through printf.
    ['{{.HostConfig.Init}} {{.HostConfig.OomKillDisable}}', 'true false'],
    ['{{printf "%v %T" .HostConfig.Init .HostConfig.Init}}', '0xc000010000 *bool'],
    ['{{printf "%s" .HostConfig.Init}}', '%!s(*bool=0xc000010000)'],
    // A non-nil pointer is true, whatever it points to; a nil one is false.
    [
      '{{if .HostConfig.OomKillDisable}}set{{end}} {{if .HostConfig.PidsLimit}}set{{else}}nil{{end}}',
      'set nil',
    ],
    ['{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.RestartPolicy.Name}}', 'true no'],
    // json: the json names, Resources' fields in its place, Init (omitempty) there as set.
    ['{{json .HostConfig.RestartPolicy}}', '{"Name":"no","MaximumRetryCount":0}'],
  ])('%s', (format, expected) => {
    expect(render(format)).toBe(expected);
  });

  it('{{json .HostConfig}} has the same members, in the same order, as the JSON it came from', () => {
    const json = hostConfigOf(run);
    expect(render('{{json .HostConfig}}')).toBe(JSON.stringify(json));
    const keys = Object.keys(json);
    const at = keys.indexOf('Isolation');
    expect(keys.slice(at, at + 3)).toEqual(['Isolation', 'CpuShares', 'Memory']);
    expect(keys.slice(-2)).toEqual(['ReadonlyPaths', 'Init']);
  });

  it('a field it lacks is an error, not <no value>', () => {
    expect(() => render('{{.HostConfig.Nope}}')).toThrow(
      "can't evaluate field Nope in type *container.HostConfig",
    );
  });
});
