/**
 * `container inspect -f '{{.Config.…}}'` prints what Docker 20.10 prints: the
 * container's Config is the run's options merged over its image's config
 * (VOLUMEs, `-v /anonymous`, labels, exposed ports, stop signal), and
 * templates run on Docker's *container.Config, where a nil map prints `map[]`
 * (it printed `<nil>`). `inspect` on the images alongside.
 *
 * Every expected string was printed by Docker 20.10.24's daemon and CLI for
 * the same images (a busybox-static rootfs, `docker import`ed, and these
 * Dockerfiles built FROM it, BuildKit and classic alike) and containers
 * (`docker run --network=none [-v /extra] IMAGE true`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { buildIn, contextOf, storeWithBusybox } from '../build/harness.js';

const IMAGES = {
  // busybox:latest is imported: a config with nothing in it.
  'vol:1': 'FROM busybox\nVOLUME /data\n',
  'vol:2': 'FROM busybox\nVOLUME ["/data", "/var/log"]\n',
  'rich:1':
    'FROM busybox\nLABEL a=1\nEXPOSE 80\nSTOPSIGNAL SIGUSR1\nVOLUME /data\nCMD ["sleep","1"]\n',
};

let root: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  for (const [tag, Dockerfile] of Object.entries(IMAGES))
    await buildIn(root, { context: contextOf({ Dockerfile }), tags: [tag], network: 'none' });
  const containers: [string, string[]][] = [
    ['c-plain', ['busybox']],
    ['c-vol', ['vol:1']],
    ['c-vol2', ['vol:2']],
    ['c-anon', ['-v', '/extra', 'busybox']],
    ['c-rich', ['rich:1']],
  ];
  for (const [name, args] of containers) {
    const r = await cli(['run', '--root', root, '--network=none', '--name', name, ...args, 'true']);
    expect([r.code, r.stderr]).toEqual([0, '']);
  }
}, 120_000);

const PATH = '[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin]';

describe('container inspect -f on Config, as Docker 20.10 prints it', () => {
  it.each([
    // Docker 20.10: docker container inspect -f '{{.Config.Volumes}}' (and json) per container.
    ['c-plain', '{{.Config.Volumes}}', 'map[]'],
    ['c-plain', '{{json .Config.Volumes}}', 'null'],
    ['c-vol', '{{.Config.Volumes}}', 'map[/data:{}]'],
    ['c-vol', '{{json .Config.Volumes}}', '{"/data":{}}'],
    ['c-vol2', '{{.Config.Volumes}}', 'map[/data:{} /var/log:{}]'],
    ['c-vol2', '{{json .Config.Volumes}}', '{"/data":{},"/var/log":{}}'],
    ['c-anon', '{{.Config.Volumes}}', 'map[/extra:{}]'],
    ['c-anon', '{{json .Config.Volumes}}', '{"/extra":{}}'],
    ['c-rich', '{{.Config.Volumes}}', 'map[/data:{}]'],
    // The rest of the merge, from the same runs.
    ['c-plain', '{{.Config.Env}}', '[]'],
    ['c-plain', '{{json .Config.Env}}', 'null'],
    ['c-plain', '{{.Config.Labels}}', 'map[]'],
    ['c-plain', '{{.Config.ExposedPorts}}', 'map[]'],
    ['c-plain', '{{.Config.Labels.x}}', '<no value>'],
    ['c-vol', '{{.Config.Env}}', PATH],
    ['c-rich', '{{.Config.Labels}}', 'map[a:1]'],
    ['c-rich', '{{.Config.ExposedPorts}}', 'map[80/tcp:{}]'],
    ['c-rich', '{{.Config.StopSignal}}', 'SIGUSR1'],
    ['c-rich', '{{.Config.Cmd}}', '[true]'],
  ])('%s %s', async (name, format, expected) => {
    const r = await cli(['container', 'inspect', '--root', root, '-f', format, name]);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${expected}\n`]);
  });

  it('{{json .Config}}: the whole merge, omitempty fields left out when empty', async () => {
    const hostname = (name: string) =>
      cli(['container', 'inspect', '--root', root, '-f', '{{.Config.Hostname}}', name]);
    // Docker 20.10, c-plain and c-rich; only the hostname (the container's short ID) differs.
    const expected = {
      'c-plain':
        '{"Hostname":"H","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,' +
        '"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,' +
        '"Cmd":["true"],"Image":"busybox","Volumes":null,"WorkingDir":"","Entrypoint":null,' +
        '"OnBuild":null,"Labels":{}}',
      'c-rich':
        '{"Hostname":"H","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,' +
        '"AttachStderr":true,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,' +
        `"StdinOnce":false,"Env":${JSON.stringify(PATH.slice(1, -1).split(' '))},` +
        '"Cmd":["true"],"Image":"rich:1","Volumes":{"/data":{}},"WorkingDir":"",' +
        '"Entrypoint":null,"OnBuild":null,"Labels":{"a":"1"},"StopSignal":"SIGUSR1"}',
    };
    for (const [name, json] of Object.entries(expected)) {
      const host = (await hostname(name)).stdout.trim();
      expect(host).toMatch(/^[0-9a-f]{12}$/);
      const r = await cli(['container', 'inspect', '--root', root, '-f', '{{json .Config}}', name]);
      expect(r.stdout).toBe(`${json.replace('"Hostname":"H"', `"Hostname":"${host}"`)}\n`);
    }
  });

  it('a field Config lacks: the error from the JSON, as docker shows it, and exit 1', async () => {
    const r = await cli([
      'container',
      'inspect',
      '--root',
      root,
      '-f',
      '{{.Config.Nope}}',
      'c-vol',
    ]);
    // Docker 20.10: stdout a lone newline, this on stderr, exit status 1.
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '\n',
      'template parsing error: template: :1:9: executing "" at <.Config.Nope>: ' +
        'map has no entry for key "Nope"\n',
    ]);
  });
});

describe('inspect -f {{.Config.Volumes}} on the images, as Docker 20.10 prints it', () => {
  it.each([
    // Docker 20.10: docker inspect -f '{{.Config.Volumes}}' (and json) per image.
    ['busybox', '{{.Config.Volumes}}', 'map[]'],
    ['busybox', '{{json .Config.Volumes}}', 'null'],
    ['vol:1', '{{.Config.Volumes}}', 'map[/data:{}]'],
    ['vol:1', '{{json .Config.Volumes}}', '{"/data":{}}'],
    ['vol:2', '{{.Config.Volumes}}', 'map[/data:{} /var/log:{}]'],
    ['vol:2', '{{json .Config.Volumes}}', '{"/data":{},"/var/log":{}}'],
    // BuildKit leaves ContainerConfig empty (the classic builder would show the VOLUME).
    ['vol:1', '{{.ContainerConfig.Volumes}}', 'map[]'],
  ])('%s %s', async (image, format, expected) => {
    const r = await cli(['inspect', '--root', root, '-f', format, image]);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${expected}\n`]);
  });
});
