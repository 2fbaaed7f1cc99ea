/**
 * `tsbuild inspect -f` on map- and struct-valued fields prints what `docker
 * inspect -f` prints for an image built from the same Dockerfile (recorded
 * from Docker 20.10's daemon with its docker CLI): Go's `%v` of a
 * map[string]struct{} is `map[80/tcp:{}]`, maps in sorted key order, structs
 * as `{v1 v2}`, and `json` of a map sorts its keys.
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
    ['{{.RootFS}}', '{layers []}'],
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
