/**
 * `tsbuild inspect -f` on map- and struct-valued fields prints what `docker
 * inspect -f` prints for an image built from the same Dockerfile (recorded
 * from Docker 20.10's daemon with its docker CLI): Go's `%v` of a
 * map[string]struct{} is `map[80/tcp:{}]`, maps in sorted key order, structs
 * as `{v1 v2}`, and `json` of a map sorts its keys. container.Config is a
 * struct in Go's field order whose omitempty fields `json` leaves out; a
 * template that fails on the typed value runs again on the JSON with
 * missingkey=error, and that error is the one shown.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tmp.js';

const DOCKERFILE = `FROM scratch
EXPOSE 80 53/udp
VOLUME /data /a
LABEL b=2 a=1
ENV A=b C=d
CMD ["x"]
`;

describe('inspect -f on maps and structs, as docker prints them', () => {
  const root = tempRoot('tsbuild-inspect-format-');
  beforeAll(async () => {
    const ctx = mkdtempSync(join(root, 'ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
    const r = await cli(['build', '--root', root, '-q', '-t', 'tmpl', ctx]);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it.each([
    ['{{.Config.ExposedPorts}}', 'map[53/udp:{} 80/tcp:{}]'],
    ['{{.Config.Volumes}}', 'map[/a:{} /data:{}]'],
    ['{{.Config.Labels}}', 'map[a:1 b:2]'],
    [
      '{{.Config.Env}}',
      '[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin A=b C=d]',
    ],
    ['{{.Config.Cmd}}', '[x]'],
    ['{{.Config.Entrypoint}}', '[]'],
    ['{{json .Config.ExposedPorts}}', '{"53/udp":{},"80/tcp":{}}'],
    ['{{json .Config.Labels}}', '{"a":"1","b":"2"}'],
    ['{{json .Config.Volumes}}', '{"/a":{},"/data":{}}'],
    ['{{range $k, $v := .Config.ExposedPorts}}{{$k}}={{$v}};{{end}}', '53/udp={};80/tcp={};'],
    ['{{len .Config.ExposedPorts}}', '2'],
    ['{{index .Config.Labels "a"}}', '1'],
    // types.RootFS{Type, Layers, BaseLayer}: the empty BaseLayer is the trailing space.
    ['{{.RootFS}}', '{layers [] }'],
    ['{{json .RootFS}}', '{"Type":"layers"}'],
    ['{{.RootFS.Type}}', 'layers'],
  ])('%s', async (format, expected) => {
    const r = await cli(['inspect', '--root', root, '-f', format, 'tmpl']);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${expected}\n`]);
  });

  it('{{.GraphDriver}} is a struct too: {Data Name}', async () => {
    const r = await cli(['inspect', '--root', root, '-f', '{{.GraphDriver}}', 'tmpl']);
    expect(r.stdout).toBe(`{map[Root:${root}] tsbuild}\n`);
  });
});

/** A HEALTHCHECK (durations), SHELL, STOPSIGNAL: the omitempty fields, set. */
const RICH = `FROM scratch
SHELL ["/bin/sh", "-c"]
EXPOSE 80
HEALTHCHECK --interval=90s --timeout=1500ms --start-period=2h1s --retries=3 CMD ["true"]
STOPSIGNAL SIGTERM
USER 1000
ENTRYPOINT ["sh"]
`;

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** container.Config of an image built by BuildKit: all zero. */
const EMPTY_CONFIG =
  '{   false false false map[] false false false [] [] <nil> false  map[]  [] false  [] map[]  <nil> []}';
const EMPTY_CONFIG_JSON =
  '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,' +
  '"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,' +
  '"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,' +
  '"Labels":null}';

describe('inspect -f on container.Config and its Healthcheck, as docker prints them', () => {
  const root = tempRoot('tsbuild-inspect-config-');
  beforeAll(async () => {
    for (const [tag, dockerfile] of [
      ['tmpl', DOCKERFILE],
      ['rich', RICH],
    ]) {
      const ctx = mkdtempSync(join(root, 'ctx-'));
      writeFileSync(join(ctx, 'Dockerfile'), dockerfile!);
      const r = await cli(['build', '--root', root, '-q', '-t', tag!, ctx]);
      expect([r.code, r.stderr]).toEqual([0, '']);
    }
  });

  // Each expected line is what Docker 20.10's CLI printed for the same image
  // (saved by tsbuild, loaded into dockerd 20.10.24).
  it.each([
    [
      'tmpl',
      '{{.Config}}',
      `{   false false false map[53/udp:{} 80/tcp:{}] false false false [${PATH} A=b C=d] [x] <nil> true  map[/a:{} /data:{}] / [] false  [] map[a:1 b:2]  <nil> []}`,
    ],
    [
      'tmpl',
      '{{json .Config}}',
      '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,' +
        '"AttachStderr":false,"ExposedPorts":{"53/udp":{},"80/tcp":{}},"Tty":false,' +
        `"OpenStdin":false,"StdinOnce":false,"Env":["${PATH}","A=b","C=d"],"Cmd":["x"],` +
        '"ArgsEscaped":true,"Image":"","Volumes":{"/a":{},"/data":{}},"WorkingDir":"/",' +
        '"Entrypoint":null,"OnBuild":null,"Labels":{"a":"1","b":"2"}}',
    ],
    ['tmpl', '{{.ContainerConfig}}', EMPTY_CONFIG],
    ['tmpl', '{{json .ContainerConfig}}', EMPTY_CONFIG_JSON],
    ['tmpl', '{{.Config.Healthcheck}}', '<nil>'],
    ['tmpl', '{{json .Config.Healthcheck}}', 'null'],
    [
      'tmpl',
      '{{.Config.StopTimeout}}|{{.Config.MacAddress}}|{{.Config.NetworkDisabled}}',
      '<nil>||false',
    ],
    // A nil map's missing key: Go's zero, not an error, on the typed value.
    ['tmpl', '{{.Config.Labels.x}}', '<no value>'],
    [
      'rich',
      '{{json .Config}}',
      '{"Hostname":"","Domainname":"","User":"1000","AttachStdin":false,"AttachStdout":false,' +
        '"AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,' +
        `"StdinOnce":false,"Env":["${PATH}"],"Cmd":null,"Healthcheck":{"Test":["CMD","true"],` +
        '"Interval":90000000000,"Timeout":1500000000,"StartPeriod":7201000000000,"Retries":3},' +
        '"Image":"","Volumes":null,"WorkingDir":"/","Entrypoint":["sh"],"OnBuild":null,' +
        '"Labels":null,"StopSignal":"SIGTERM","Shell":["/bin/sh","-c"]}',
    ],
    ['rich', '{{.Config.Healthcheck}}', '{[CMD true] 1m30s 1.5s 2h0m1s 3}'],
    [
      'rich',
      '{{json .Config.Healthcheck}}',
      '{"Test":["CMD","true"],"Interval":90000000000,"Timeout":1500000000,"StartPeriod":7201000000000,"Retries":3}',
    ],
    [
      'rich',
      '{{.Config.Healthcheck.StartPeriod}}|{{.Config.Healthcheck.Timeout}}|{{.Config.Healthcheck.Interval}}',
      '2h0m1s|1.5s|1m30s',
    ],
    [
      'rich',
      '{{printf "%v %d %s" .Config.Healthcheck.Interval .Config.Healthcheck.Interval .Config.Healthcheck.Interval}}',
      '1m30s 90000000000 1m30s',
    ],
  ])('%s %s', async (image, format, expected) => {
    const r = await cli(['inspect', '--root', root, '-f', format, image]);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${expected}\n`]);
  });

  it('{{.Config}} with a Healthcheck prints the pointer as an address, as Go does', async () => {
    const r = await cli(['inspect', '--root', root, '-f', '{{.Config}}', 'rich']);
    expect(r.code).toBe(0);
    // Docker printed 0xc000140040 here: an address of its own process.
    expect(r.stdout.replace(/0xc[0-9a-f]+/, 'ADDR')).toBe(
      `{  1000 false false false map[80/tcp:{}] false false false [${PATH}] [] ADDR false  map[] / [sh] false  [] map[] SIGTERM <nil> [/bin/sh -c]}\n`,
    );
  });

  it('an error on the typed value is retried on the JSON, whose error is shown', async () => {
    const nope = await cli(['inspect', '--root', root, '-f', '{{.Config.Nope}}', 'tmpl']);
    expect([nope.code, nope.stdout, nope.stderr]).toEqual([
      1,
      '\n',
      'template parsing error: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"\n',
    ]);
    // A nil *HealthConfig: the typed run fails, the JSON has no Healthcheck at all.
    const nil = await cli([
      'inspect',
      '--root',
      root,
      '-f',
      '{{.Config.Healthcheck.StartPeriod}}',
      'tmpl',
    ]);
    expect([nil.code, nil.stdout, nil.stderr]).toEqual([
      1,
      '\n',
      'template parsing error: template: :1:9: executing "" at <.Config.Healthcheck.StartPeriod>: map has no entry for key "Healthcheck"\n',
    ]);
  });

  it('prints what it could, then each error in the order of the names', async () => {
    const r = await cli([
      'inspect',
      '--root',
      root,
      '-f',
      '{{.Config.User}}{{.Config.Healthcheck.Retries}}',
      'nosuch',
      'tmpl',
      'rich',
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '10003\n',
      'Error: No such image: nosuch\n' +
        'template parsing error: template: :1:25: executing "" at <.Config.Healthcheck.Retries>: map has no entry for key "Healthcheck"\n',
    ]);
  });
});
