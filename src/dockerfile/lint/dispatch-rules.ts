/**
 * The rules BuildKit applies as it dispatches a stage's instructions
 * (dockerfile2llb dispatch*): a build checks only the stages it builds,
 * `--check` every stage. Words are seen expanded, as BuildKit sees them.
 *
 *   LegacyKeyValueFormat            ENV key value · LABEL key value
 *   SecretsUsedInArgOrEnv           ARG GITHUB_TOKEN · ENV DB_PASSWORD=x (in a stage)
 *   WorkdirRelativePath             WORKDIR app        (the stage's first WORKDIR)
 *   JSONArgsRecommended             CMD app --flag     (unless a SHELL is set)
 *   MultipleInstructionsDisallowed  two CMDs in a stage (reported at the earlier)
 *   ExposeProtoCasing               EXPOSE 80/TCP
 *   ExposeInvalidFormat             EXPOSE 127.0.0.1:80:80
 *   CopyIgnoredFile                 COPY tmp/x /x      (tmp excluded by .dockerignore)
 *
 * UndefinedVar is found by stages.ts while it expands. A base's ONBUILD
 * triggers are checked in the stage that runs them, at its FROM.
 */
import type { Instruction, Span } from '../ast.js';
import type { Stage } from '../stage.js';
import { goClean } from '../../util/go-clean.js';
import { keywordOf, type Report } from './finding.js';

export interface DispatchOptions {
  /** Whether a local COPY/ADD source is excluded by the context's .dockerignore. */
  ignored?: (src: string) => boolean;
}

interface StageState {
  /** A SHELL here or in the stage this one is built on (shell form is then meant). */
  shell: boolean;
  used: Partial<Record<'CMD' | 'ENTRYPOINT' | 'HEALTHCHECK', Span>>;
  workdirSet: boolean;
}

/**
 * @param nodeAt the index in the file of the instruction at a span, whose
 *   `# check=` comment applies to what is found there.
 */
export function dispatchRules(
  stages: readonly Stage[],
  checked: ReadonlySet<number>,
  opts: DispatchOptions,
  nodeAt: (span: Span) => number | undefined,
  report: Report,
): void {
  const ended: StageState[] = [];
  for (const stage of stages) {
    const parent = stage.base.kind === 'stage' ? ended[stage.base.index] : undefined;
    const st: StageState = { shell: parent?.shell ?? false, used: {}, workdirSet: false };
    for (const { instruction: ins, onbuild } of stage.steps) {
      if (ins.kind === 'SHELL') st.shell = true;
      if (!checked.has(stage.index)) continue;
      // An ONBUILD trigger is checked where the child runs it, as BuildKit does
      // (dispatching it first in the child): at the child's FROM, under no
      // `# check=` comment (a trigger has none).
      const at = onbuild
        ? { span: stage.from.span, stage: stage.index }
        : { span: ins.span, node: nodeAt(ins.span), stage: stage.index };
      instructionRules(ins, at.span, st, opts, (rule, message, where = at) =>
        report(rule, message, where),
      );
    }
    ended[stage.index] = st;
  }
}

type Here = (rule: string, message: string, at?: Parameters<Report>[2]) => void;

function instructionRules(
  ins: Instruction,
  /** Where it is reported: its own place, or for a trigger the FROM that ran it. */
  here: Span,
  st: StageState,
  opts: DispatchOptions,
  report: Here,
): void {
  const written = keywordOf(ins);
  switch (ins.kind) {
    case 'ENV':
      if (ins.legacy) legacy(written, report);
      for (const p of ins.pairs) secret('ENV', p.key, report);
      return;
    case 'LABEL':
      if (ins.legacy) legacy(written, report);
      return;
    case 'ARG':
      for (const a of ins.args) secret('ARG', a.key, report);
      return;
    case 'WORKDIR':
      if (!st.workdirSet && !ins.path.startsWith('/'))
        report(
          'WorkdirRelativePath',
          `Relative workdir "${ins.path}" can have unexpected results if the base image changes`,
        );
      st.workdirSet = true;
      return;
    case 'CMD':
    case 'ENTRYPOINT':
      usedOnce(ins.kind, written, here, st, report);
      if (ins.command.form === 'shell' && !st.shell)
        report(
          'JSONArgsRecommended',
          `JSON arguments recommended for ${written} to prevent unintended behavior related to OS signals`,
        );
      return;
    case 'HEALTHCHECK':
      usedOnce(ins.kind, written, here, st, report);
      return;
    case 'EXPOSE':
      for (const p of ins.ports) expose(p.value, report);
      return;
    case 'COPY':
    case 'ADD':
      if (opts.ignored && !(ins.kind === 'COPY' && ins.from !== undefined)) {
        const verb = ins.kind === 'ADD' ? 'Add' : 'Copy';
        for (const s of ins.sources) {
          if (/^(https?:\/\/|git@)/.test(s.value) || !opts.ignored(s.value)) continue;
          report(
            'CopyIgnoredFile',
            `Attempting to ${verb} file "${goClean(s.value)}" that is excluded by .dockerignore`,
          );
        }
      }
      return;
    default:
      return;
  }
}

function legacy(written: string, report: Here): void {
  report(
    'LegacyKeyValueFormat',
    `"${written} key=value" should be used instead of legacy "${written} key value" format`,
  );
}

/** Whole words of a name, split at `_`: API_KEY, DB_PASSWORD, TOKEN; not PUBLIC_KEY nor KEY_FILE. */
const SECRET =
  /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const ALLOWED = /(?:_|^)(?:public|file|version)(?:_|$)/i;

function secret(instruction: 'ARG' | 'ENV', key: string, report: Here): void {
  if (SECRET.test(key) && !ALLOWED.test(key))
    report(
      'SecretsUsedInArgOrEnv',
      `Do not use ARG or ENV instructions for sensitive data (${instruction} ${JSON.stringify(key)})`,
    );
}

/** BuildKit reports the earlier instruction, the one that is ignored, in the later one's spelling. */
function usedOnce(
  kind: keyof StageState['used'],
  written: string,
  span: Span,
  st: StageState,
  report: Here,
): void {
  const previous = st.used[kind];
  if (previous) {
    const message = `Multiple ${written} instructions should not be used in the same stage because only the last one will be used`;
    report('MultipleInstructionsDisallowed', message, { span: previous });
  }
  st.used[kind] = span;
}

/** `[ip:][host-port:]port[/proto]`, split as BuildKit's parsePort does. */
function expose(raw: string, report: Here): void {
  const parts = raw.split(':');
  const container = parts[parts.length - 1]!;
  const hostPort = parts.length > 1 ? parts[parts.length - 2]! : '';
  const ip = parts.length > 2 ? parts.slice(0, -2).join(':') : '';
  const slash = container.indexOf('/');
  const proto = slash < 0 ? '' : container.slice(slash + 1);
  // An unknown protocol fails the build; the check has nothing to add.
  if (!['', 'tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) return;
  if (proto !== proto.toLowerCase())
    report(
      'ExposeProtoCasing',
      `Defined protocol '${raw}' in EXPOSE instruction should be lowercase`,
    );
  if (ip !== '' || hostPort !== '')
    report(
      'ExposeInvalidFormat',
      `EXPOSE instruction should not define an IP address or host-port mapping, found '${raw}'`,
    );
}
