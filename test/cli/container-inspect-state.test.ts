/**
 * `container inspect -f` on State and HostConfig prints what Docker 20.10
 * prints: templates run on Go structs (*types.ContainerState,
 * *container.HostConfig with container.Resources embedded), so `{{.State}}`
 * is `{exited false … <nil>}` rather than `map[Dead:false …]`, every
 * HostConfig field exists with Go's zero value (`{{.HostConfig.Memory}}` is
 * `0`), `{{json …}}` keeps Go's field order and omitempty tags, and a field
 * neither has is docker's error.
 *
 * Every expected string was printed by Docker 20.10.24's daemon and CLI
 * (/usr/bin/docker) for the same busybox image and the same runs:
 * `docker run --network=none --name c-exit busybox sh -c 'exit 3'`, the same
 * with `--init … true`, and `--network=host --read-only --add-host
 * a.b:1.2.3.4 -v DIR:/mnt … true`. What cannot be the same is replaced
 * before comparing: the times (ours are the container's own), pointer
 * addresses (Go's allocator's), the bind's host path, and HostConfig.Runtime,
 * which is tsbuild's runner (`auto` unless `--runtime` names one) where
 * Docker names its own (`runc`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { storeWithBusybox } from '../build/harness.js';
import { tempRoot } from '../helpers/tmp.js';

let root: string;
let dir: string;

beforeAll(async () => {
  root = await storeWithBusybox();
  dir = tempRoot('tsbuild-bind-');
  const containers: [string, string[]][] = [
    ['c-exit', ['--network=none', 'busybox', 'sh', '-c', 'exit 3']],
    ['c-init', ['--network=none', '--init', 'busybox', 'true']],
    [
      'c-opts',
      [
        '--network=host',
        '--read-only',
        '--add-host',
        'a.b:1.2.3.4',
        '-v',
        `${dir}:/mnt`,
        'busybox',
        'true',
      ],
    ],
  ];
  for (const [name, args] of containers) {
    const r = await cli(['run', '--root', root, '--name', name, ...args]);
    expect([r.code, r.stderr]).toEqual([name === 'c-exit' ? 3 : 0, '']);
  }
}, 120_000);

const inspect = (format: string, name: string) =>
  cli(['container', 'inspect', '--root', root, '-f', format, name]);

/** Go's pointers print as addresses that differ from run to run. */
const ADDRESS = /0xc[0-9a-f]{9}/g;

/** `docker inspect -f '{{.HostConfig}}' c-exit`, Docker 20.10.24. */
const HOST_CONFIG_TEXT =
  '{[]  {json-file map[]} none map[] {no 0} false  [] [] [] host [] [] [] [] [] private  [] 0  ' +
  'false false false [] map[] map[]   67108864 map[] runc [0 0]  {0 0 0  0 [] [] [] [] [] 0 0 0 0 ' +
  '  [] [] [] 0 0 0 0 <nil> 0xc0001e0af4 <nil> [] 0 0 0 0} [] [/proc/asound /proc/acpi ' +
  '/proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats ' +
  '/proc/sched_debug /proc/scsi /sys/firmware] [/proc/bus /proc/fs /proc/irq /proc/sys ' +
  '/proc/sysrq-trigger] <nil>}';

/** `docker inspect -f '{{json .HostConfig}}' c-exit`, Docker 20.10.24. */
const HOST_CONFIG_JSON =
  '{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},' +
  '"NetworkMode":"none","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},' +
  '"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,' +
  '"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,' +
  '"GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"",' +
  '"Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,' +
  '"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"runc","ConsoleSize":[0,0],' +
  '"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,' +
  '"BlkioWeightDevice":[],"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,' +
  '"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,' +
  '"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],' +
  '"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,' +
  '"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,' +
  '"PidsLimit":null,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,' +
  '"IOMaximumBandwidth":0,"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore",' +
  '"/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats",' +
  '"/proc/sched_debug","/proc/scsi","/sys/firmware"],"ReadonlyPaths":["/proc/bus","/proc/fs",' +
  '"/proc/irq","/proc/sys","/proc/sysrq-trigger"]}';

/** Docker's text with tsbuild's runner in HostConfig.Runtime for Docker's runc. */
function ours(docker: string): string {
  return docker.replace(' runc ', ' auto ').replace('"Runtime":"runc"', '"Runtime":"auto"');
}

describe('container inspect -f on State, as Docker 20.10 prints it', () => {
  it('{{.State}} and {{json .State}}: the struct in Go field order, Health nil and left out', async () => {
    const times = (await inspect('{{.State.StartedAt}} {{.State.FinishedAt}}', 'c-exit')).stdout;
    const [started, finished] = times.trim().split(' ');
    expect(started).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(finished).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    // Docker: {exited false false false false false 0 3  2026-12-07T01:50:40.681866479Z 2026-12-07T01:50:40.681378886Z <nil>}
    expect((await inspect('{{.State}}', 'c-exit')).stdout).toBe(
      `{exited false false false false false 0 3  ${started} ${finished} <nil>}\n`,
    );
    expect((await inspect('{{json .State}}', 'c-exit')).stdout).toBe(
      '{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,' +
        `"Dead":false,"Pid":0,"ExitCode":3,"Error":"","StartedAt":"${started}",` +
        `"FinishedAt":"${finished}"}\n`,
    );
  });

  it.each([
    ['{{.State.Status}} {{.State.ExitCode}}', 'c-exit', 'exited 3'],
    ['{{.State.Status}} {{.State.ExitCode}}', 'c-init', 'exited 0'],
    ['{{.State.Health}}', 'c-exit', '<nil>'],
    ['{{printf "%T" .State}}', 'c-exit', '*types.ContainerState'],
  ])('%s of %s', async (format, name, expected) => {
    const r = await inspect(format, name);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${expected}\n`]);
  });
});

describe('container inspect -f on HostConfig, as Docker 20.10 prints it', () => {
  it('{{.HostConfig}}: every field, Resources as its own group, pointers as addresses', async () => {
    const r = await inspect('{{.HostConfig}}', 'c-exit');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.replace(ADDRESS, '0xADDR')).toBe(
      `${ours(HOST_CONFIG_TEXT).replace(ADDRESS, '0xADDR')}\n`,
    );
  });

  it('{{json .HostConfig}}: Go order, json names, Resources inline, omitempty Init left out', async () => {
    expect((await inspect('{{json .HostConfig}}', 'c-exit')).stdout).toBe(
      `${ours(HOST_CONFIG_JSON)}\n`,
    );
    // With --init, Docker 20.10 ends it with "Init":true.
    expect((await inspect('{{json .HostConfig}}', 'c-init')).stdout).toBe(
      `${ours(HOST_CONFIG_JSON).replace(/}$/, ',"Init":true}')}\n`,
    );
  });

  it('the JSON `container inspect` prints has the same HostConfig', async () => {
    const r = await cli(['container', 'inspect', '--root', root, 'c-exit']);
    const [info] = JSON.parse(r.stdout) as { HostConfig: unknown }[];
    expect(info!.HostConfig).toEqual(JSON.parse(ours(HOST_CONFIG_JSON)));
  });

  it.each([
    ['{{.HostConfig.NetworkMode}}', 'c-exit', 'none'],
    ['{{.HostConfig.NetworkMode}}', 'c-opts', 'host'],
    ['{{.HostConfig.RestartPolicy}}', 'c-exit', '{no 0}'],
    ['{{printf "%+v" .HostConfig.RestartPolicy}}', 'c-exit', '{Name:no MaximumRetryCount:0}'],
    ['{{.HostConfig.LogConfig}}', 'c-exit', '{json-file map[]}'],
    ['{{.HostConfig.Init}}', 'c-exit', '<nil>'],
    ['{{.HostConfig.Init}}', 'c-init', 'true'],
    [
      '{{if .HostConfig.OomKillDisable}}yes{{else}}no{{end}} {{if .HostConfig.Init}}init{{else}}noinit{{end}}',
      'c-exit',
      'yes noinit',
    ],
    ['{{printf "%v" .HostConfig.Init}}', 'c-init', '0xADDR'],
    ['{{.HostConfig.Memory}} {{.HostConfig.Privileged}}', 'c-exit', '0 false'],
    [
      '{{.HostConfig.OomKillDisable}} {{.HostConfig.PidsLimit}} {{.HostConfig.MemorySwappiness}}',
      'c-exit',
      'false <nil> <nil>',
    ],
    [
      '{{.HostConfig.ConsoleSize}} {{.HostConfig.PortBindings}} {{.HostConfig.Tmpfs}}',
      'c-exit',
      '[0 0] map[] map[]',
    ],
    // DNS and CPUShares are the Go names; Dns and CpuShares only the JSON's, which docker falls back to.
    ['{{.HostConfig.DNS}} {{.HostConfig.CPUShares}}', 'c-exit', '[] 0'],
    ['{{.HostConfig.Dns}} {{.HostConfig.CpuShares}}', 'c-exit', '[] 0'],
    [
      '{{printf "%T %T" .HostConfig .HostConfig.Resources}}',
      'c-exit',
      '*container.HostConfig container.Resources',
    ],
    [
      '{{.HostConfig.Binds}} {{.HostConfig.ExtraHosts}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.AutoRemove}}',
      'c-exit',
      '[] [] false false',
    ],
    [
      '{{.HostConfig.Binds}} {{.HostConfig.ExtraHosts}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.AutoRemove}}',
      'c-opts',
      '[DIR:/mnt] [a.b:1.2.3.4] true false',
    ],
    [
      '{{json .HostConfig.Resources}}',
      'c-exit',
      '{"CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,' +
        '"BlkioWeightDevice":[],"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,' +
        '"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,' +
        '"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"",' +
        '"Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,' +
        '"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,' +
        '"OomKillDisable":false,"PidsLimit":null,"Ulimits":null,"CpuCount":0,"CpuPercent":0,' +
        '"IOMaximumIOps":0,"IOMaximumBandwidth":0}',
    ],
  ])('%s of %s', async (format, name, expected) => {
    const r = await inspect(format, name);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.replace(ADDRESS, '0xADDR').replace(dir, 'DIR')).toBe(`${expected}\n`);
  });
});

describe('a field State or HostConfig lacks, as docker shows it', () => {
  it.each([
    // Docker 20.10: the typed template fails, the JSON fallback's error is shown; exit 1.
    ['{{.State.Nope}}', ':1:8', '.State.Nope'],
    ['{{.HostConfig.Nope}}', ':1:13', '.HostConfig.Nope'],
    // The Go name fails in the JSON, the json name in the struct: no run has both.
    ['{{.HostConfig.DNS}} {{.HostConfig.Dns}}', ':1:13', '.HostConfig.DNS'],
  ])('%s', async (format, at, path) => {
    const r = await inspect(format, 'c-exit');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '\n',
      `template parsing error: template: ${at}: executing "" at <${path}>: map has no entry for key "${path.split('.').pop()}"\n`,
    ]);
  });
});
