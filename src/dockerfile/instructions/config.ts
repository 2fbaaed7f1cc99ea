/**
 * The instructions that only change the image config and take words or
 * pairs: ENV, LABEL, ARG, EXPOSE, VOLUME, and the four that take the rest of
 * the line as one string (MAINTAINER, USER, WORKDIR, STOPSIGNAL).
 */
import { DockerfileError } from '../../errors.js';
import type {
  ArgInstruction,
  EnvInstruction,
  ExposeInstruction,
  KeyValue,
  LabelInstruction,
  MaintainerInstruction,
  Node,
  StopsignalInstruction,
  UserInstruction,
  VolumeInstruction,
  WorkdirInstruction,
} from '../ast.js';
import { parseFlags } from '../flags.js';
import { GO_SPACE } from '../lines.js';
import { argWords, atLeastOne, base, blankName, exactlyOne } from './args.js';

/** ENV a=1 b="two words" | ENV a 1 — values stay quoted and unexpanded. */
export function env(node: Node): EnvInstruction {
  parseFlags(node, 'ENV');
  return { kind: 'ENV', ...base(node), ...keyValues(node, 'ENV') };
}

/** LABEL a=1 | LABEL a 1 — as ENV. */
export function label(node: Node): LabelInstruction {
  parseFlags(node, 'LABEL');
  return { kind: 'LABEL', ...base(node), ...keyValues(node, 'LABEL') };
}

function keyValues(node: Node, command: string): { pairs: KeyValue[]; legacy: boolean } {
  if (node.args.kind !== 'pairs' || node.args.pairs.length === 0) throw atLeastOne(node, command);
  for (const p of node.args.pairs) if (p.key === '') throw blankName(command, p.span);
  return {
    pairs: node.args.pairs.map((p) => ({ key: p.key, value: p.value, span: p.span })),
    legacy: node.args.legacy,
  };
}

/**
 * ARG name | ARG name=default … — split at the first `=`, the default kept
 * quoted as written. BuildKit never reads ARG's flags: `ARG --x=1 name` is
 * accepted and the flag ignored; nor does it check the name beyond "not blank".
 */
export function arg(node: Node): ArgInstruction {
  const words = argWords(node.args);
  if (words.length === 0) throw atLeastOne(node, 'ARG');
  const args = words.map((w) => {
    const eq = w.value.indexOf('=');
    if (eq < 0) return { key: w.value, value: undefined, span: w.span };
    if (eq === 0) throw blankName('ARG', w.span);
    return { key: w.value.slice(0, eq), value: w.value.slice(eq + 1), span: w.span };
  });
  return { kind: 'ARG', ...base(node), args };
}

/**
 * EXPOSE 80/tcp 443 — the ports are sorted as strings, byte by byte, before
 * anything else (BuildKit's sort.Strings), so history reads `EXPOSE [443 80/tcp]`.
 */
export function expose(node: Node): ExposeInstruction {
  const words = argWords(node.args);
  if (words.length === 0) throw atLeastOne(node, 'EXPOSE');
  parseFlags(node, 'EXPOSE');
  const ports = [...words].sort((a, b) =>
    Buffer.compare(Buffer.from(a.value), Buffer.from(b.value)),
  );
  return { kind: 'EXPOSE', ...base(node), ports };
}

const EDGE_SPACE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** VOLUME /a /b | VOLUME ["/a"] — each path trimmed; a blank one is an error. */
export function volume(node: Node): VolumeInstruction {
  const words = argWords(node.args);
  if (words.length === 0) throw atLeastOne(node, 'VOLUME');
  parseFlags(node, 'VOLUME');
  const paths = words.map((w) => {
    const value = w.value.replace(EDGE_SPACE, '');
    if (value === '')
      throw new DockerfileError(
        'EMPTY_VOLUME',
        'VOLUME specified can not be an empty string',
        w.span,
      );
    return { value, span: w.span };
  });
  return { kind: 'VOLUME', ...base(node), paths };
}

/**
 * The rest of the line as one argument: `USER app user` is the user "app
 * user" (BuildKit's parseString), so "exactly one argument" fails only when
 * there is nothing at all.
 */
function single(node: Node, command: string): string {
  const words = argWords(node.args);
  if (words.length !== 1) throw exactlyOne(node, command);
  return words[0]!.value;
}

/** MAINTAINER name — deprecated (see the MaintainerDeprecated warning), still accepted. */
export function maintainer(node: Node): MaintainerInstruction {
  const value = single(node, 'MAINTAINER');
  parseFlags(node, 'MAINTAINER');
  return { kind: 'MAINTAINER', ...base(node), maintainer: value };
}

/** USER name[:group] — stored as written; checked only when a RUN needs it. */
export function user(node: Node): UserInstruction {
  const value = single(node, 'USER');
  parseFlags(node, 'USER');
  return { kind: 'USER', ...base(node), user: value };
}

/** WORKDIR path — relative paths join the current one when the stage is built. */
export function workdir(node: Node): WorkdirInstruction {
  const value = single(node, 'WORKDIR');
  parseFlags(node, 'WORKDIR');
  return { kind: 'WORKDIR', ...base(node), path: value };
}

/** STOPSIGNAL signal — BuildKit never reads its flags: `STOPSIGNAL --x SIGTERM` is accepted. */
export function stopsignal(node: Node): StopsignalInstruction {
  return { kind: 'STOPSIGNAL', ...base(node), signal: single(node, 'STOPSIGNAL') };
}
