/**
 * Rules about FROM lines, which BuildKit checks with the ARGs declared before
 * the first FROM (dockerfile2llb validateBaseImagesWithDefaultArgs and
 * buildDispatchStates), for every stage whatever the target:
 *
 *   InvalidDefaultArgInFrom          ARG TAG / FROM busybox:${TAG}
 *                                    (with no --build-arg, "busybox:" is no image name)
 *   RedundantTargetPlatform          FROM --platform=$TARGETPLATFORM alpine
 *   FromPlatformFlagConstDisallowed  FROM --platform=linux/amd64 alpine AS base
 *                                    (unless the stage name mentions amd64 or linux)
 *
 * UndefinedArgInFrom is stages.ts's: it expands FROM anyway.
 */
import { ExpansionError } from '../../errors.js';
import { parseReference } from '../../image/reference.js';
import type { EscapeToken, FromInstruction, Instruction } from '../ast.js';
import { expandWord, type WordResult } from '../expand.js';
import { platformArgs, type Platform } from '../scope.js';
import type { Report } from './finding.js';

export interface FromRuleOptions {
  escape: EscapeToken;
  platform: Platform;
  buildArgs: Readonly<Record<string, string>>;
}

export function fromRules(
  instructions: readonly Instruction[],
  opts: FromRuleOptions,
  report: Report,
): void {
  const first = instructions.findIndex((i) => i.kind === 'FROM');
  const meta = first < 0 ? instructions : instructions.slice(0, first);
  const froms = instructions
    .map((ins, node) => ({ ins, node }))
    .filter((f): f is { ins: FromInstruction; node: number } => f.ins.kind === 'FROM');
  const predefined = platformArgs(opts.platform);
  for (const [k, v] of Object.entries(opts.buildArgs)) if (predefined.has(k)) predefined.set(k, v);

  // As if no --build-arg were given: every default must give a valid image name.
  const defaults = globalArgs(meta, new Map(predefined), {}, opts.escape);
  if (defaults) {
    for (const { ins } of froms) {
      const name = expand(ins.image, defaults, opts.escape);
      if (name === undefined) break;
      if (!validName(name.word))
        report(
          'InvalidDefaultArgInFrom',
          `Default value for ARG ${ins.image} results in empty or invalid base image name`,
          { span: ins.span },
        );
    }
  }

  const actual = globalArgs(meta, new Map(predefined), opts.buildArgs, opts.escape);
  if (!actual) return;
  for (const { ins, node } of froms) {
    if (ins.platform === undefined) continue;
    const platform = expand(ins.platform, actual, opts.escape);
    if (!platform) continue;
    const at = { span: ins.span, node };
    const { matched, unmatched } = platform;
    if (
      matched.size === 1 &&
      unmatched.size === 0 &&
      matched.has('TARGETPLATFORM') &&
      platform.word === actual.get('TARGETPLATFORM')
    )
      report(
        'RedundantTargetPlatform',
        `Setting platform to predefined ${ins.platform} in FROM is redundant as this is the default behavior`,
        at,
      );
    if (matched.size === 0 && unmatched.size === 0) constPlatform(ins, platform.word, report, at);
  }
}

/** A constant --platform is only fine in a stage named for it (`build_amd64`). */
function constPlatform(
  ins: FromInstruction,
  text: string,
  report: Report,
  at: Parameters<Report>[2],
): void {
  const parts = text.toLowerCase().split('/');
  if (parts.length === 0 || parts.some((p) => p === '')) return;
  const os = parts.length > 1 || OSES.has(parts[0]!) ? parts[0]! : '';
  const arch = parts.length > 1 ? parts[1]! : OSES.has(parts[0]!) ? '' : parts[0]!;
  const name = ins.stageName ?? '';
  if ((os !== '' && name.includes(os)) || (arch !== '' && name.includes(ARCH[arch] ?? arch)))
    return;
  report(
    'FromPlatformFlagConstDisallowed',
    `FROM --platform flag should not use constant value "${text}"`,
    at,
  );
}

const OSES = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris']);
/** containerd's normalisation of the architecture names people write. */
const ARCH: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i386: '386',
};

/** The ARGs before the first FROM, each default expanded as BuildKit's buildMetaArgs does. */
function globalArgs(
  meta: readonly Instruction[],
  env: Map<string, string>,
  buildArgs: Readonly<Record<string, string>>,
  escape: EscapeToken,
): Map<string, string> | undefined {
  for (const ins of meta) {
    if (ins.kind !== 'ARG') continue;
    for (const a of ins.args) {
      if (Object.hasOwn(buildArgs, a.key)) env.set(a.key, buildArgs[a.key]!);
      else if (a.value !== undefined) {
        const r = expand(a.value, env, escape);
        if (!r) return undefined;
        env.set(a.key, r.word);
      }
    }
  }
  return env;
}

/** An expansion that fails is the build's error to report, not a check's. */
function expand(
  text: string,
  env: Map<string, string>,
  escape: EscapeToken,
): WordResult | undefined {
  try {
    return expandWord(text, env, { escape });
  } catch (e) {
    if (e instanceof ExpansionError) return undefined;
    throw e;
  }
}

function validName(name: string): boolean {
  try {
    parseReference(name);
    return true;
  } catch {
    return false;
  }
}
