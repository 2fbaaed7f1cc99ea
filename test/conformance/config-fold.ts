/**
 * The image config a stage's metadata instructions produce from a base
 * config, the way Docker folds them — just enough to compare the front end's
 * expanded instructions with what a real engine recorded in
 * test/fixtures/docker. (The build engine's handlers will own this; until
 * then it lives beside the test that needs it.)
 */
import { posix } from 'node:path';
import type { CommandLine } from '../../src/dockerfile/ast.js';
import type { StageGraph } from '../../src/dockerfile/stages.js';

export interface Config {
  Env?: string[];
  Labels?: Record<string, string>;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Shell?: string[];
  Volumes?: Record<string, object>;
  ExposedPorts?: Record<string, object>;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  Healthcheck?: Record<string, unknown>;
  OnBuild?: string[];
}

function setEnv(env: string[], key: string, value: string): string[] {
  const i = env.findIndex((e) => e.split('=')[0] === key);
  const kv = `${key}=${value}`;
  return i < 0 ? [...env, kv] : env.map((e, j) => (j === i ? kv : e));
}

/** EXPOSE 8000-8001/udp → 8000/udp, 8001/udp; a bare port is tcp. */
function ports(spec: string): string[] {
  const [range, proto = 'tcp'] = spec.split('/');
  const [lo, hi = lo] = range!.split('-');
  const out: string[] = [];
  for (let p = Number(lo); p <= Number(hi); p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}

export function foldStage(graph: StageGraph, index: number, base: Config): Config {
  const stage = graph.stages[index]!;
  let c: Config =
    stage.base.kind === 'stage'
      ? foldStage(graph, stage.base.index, base)
      : stage.base.kind === 'image'
        ? structuredClone(base)
        : {};
  // ONBUILD triggers run in the child (stages.ts puts them in its steps) and
  // are not handed down to a grandchild.
  delete c.OnBuild;
  let cmdSet = false;
  const argv = (cmd: CommandLine) =>
    cmd.form === 'exec' ? cmd.argv : [...(c.Shell ?? ['/bin/sh', '-c']), cmd.script];
  for (const { instruction: ins } of stage.steps) {
    switch (ins.kind) {
      case 'ENV':
        for (const p of ins.pairs) c.Env = setEnv(c.Env ?? [], p.key, p.value);
        break;
      case 'LABEL':
        c.Labels = { ...c.Labels, ...Object.fromEntries(ins.pairs.map((p) => [p.key, p.value])) };
        break;
      case 'CMD':
        c.Cmd = argv(ins.command);
        cmdSet = true;
        break;
      case 'ENTRYPOINT':
        c.Entrypoint =
          ins.command.form === 'exec' && ins.command.argv.length === 0 ? null : argv(ins.command);
        if (!cmdSet) c.Cmd = null;
        break;
      case 'SHELL':
        c.Shell = ins.argv;
        break;
      case 'VOLUME':
        c.Volumes = { ...c.Volumes, ...Object.fromEntries(ins.paths.map((p) => [p.value, {}])) };
        break;
      case 'EXPOSE':
        c.ExposedPorts = {
          ...c.ExposedPorts,
          ...Object.fromEntries(ins.ports.flatMap((p) => ports(p.value)).map((p) => [p, {}])),
        };
        break;
      case 'WORKDIR':
        c.WorkingDir = posix.resolve(c.WorkingDir || '/', ins.path);
        break;
      case 'USER':
        c.User = ins.user;
        break;
      case 'STOPSIGNAL':
        c.StopSignal = ins.signal;
        break;
      case 'HEALTHCHECK': {
        const h: Record<string, unknown> = { Test: ins.test };
        if (ins.interval) h.Interval = ins.interval;
        if (ins.timeout) h.Timeout = ins.timeout;
        if (ins.startPeriod) h.StartPeriod = ins.startPeriod;
        if (ins.startInterval) h.StartInterval = ins.startInterval;
        if (ins.retries) h.Retries = ins.retries;
        c.Healthcheck = h;
        break;
      }
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
        break;
      default:
        break;
    }
  }
  c = Object.fromEntries(
    Object.entries(c).filter(
      ([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0),
    ),
  );
  return c;
}
