/**
 * `commit -c` and `import -c`: Dockerfile instructions applied to a config, as
 * Docker's daemon does (builder/dockerfile.BuildFromConfig): the changes are
 * one Dockerfile (joined with newlines), parsed and expanded by our parser in
 * the config's ENV, then planned by the build's own handlers, so `-c 'ENV A=1'`
 * means exactly what `ENV A=1` means in a build.
 *
 *   -c 'ENTRYPOINT ["/app"]'   clears the Cmd, unless a CMD came before it
 *   -c 'WORKDIR rel'           relative to the config's WorkingDir
 *   -c 'RUN x'                 "run is not a valid change command" (Docker's words)
 *
 * Docker 20.10 takes CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
 * USER, VOLUME and WORKDIR; STOPSIGNAL is taken too (its documentation lists
 * it, newer engines take it; 20.10 refuses it). Unlike a build's CMD, a change's
 * leaves ArgsEscaped as it was (pinned against the engine).
 */
import { DockerfileError } from '../errors.js';
import { planStep } from '../build/instructions/index.js';
import type { Instruction } from '../dockerfile/ast.js';
import { expandInstruction, expanderFor } from '../dockerfile/expand-instruction.js';
import { parseDockerfile, parseNodes } from '../dockerfile/parse.js';
import { Scope } from '../dockerfile/scope.js';
import type { ContainerConfig } from '../image/types.js';

const VALID = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'ONBUILD',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** Where a change's error points: `--change:1:1: run is not a valid change command`. */
const FILE = '--change';

/**
 * `config` with `changes` applied in order; a DockerfileError for a change
 * that does not parse or is not one of the instructions above.
 * @example
 *   applyChanges({ Env: ['A=1'] }, ['ENV B=$A', 'CMD ["sh"]']); // { Env: ['A=1', 'B=1'], Cmd: ['sh'] }
 */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  if (changes.length === 0) return config;
  const text = changes.join('\n');
  if (text.trim() === '')
    throw new DockerfileError('NO_INSTRUCTIONS', 'file with no instructions', {
      file: FILE,
      line: 1,
      col: 1,
      endLine: 1,
      endCol: 1,
    });
  const nodes = parseNodes(text, { file: FILE }).nodes;
  for (const n of nodes)
    if (!VALID.has(n.command))
      throw new DockerfileError(
        'BAD_CHANGE',
        `${n.keyword.toLowerCase()} is not a valid change command`,
        n.keywordSpan,
        { sourceLine: n.original },
      );
  const parsed = parseDockerfile(text, { file: FILE });
  const env = new Map<string, string>();
  for (const e of config.Env ?? []) {
    const at = e.indexOf('=');
    if (at > 0) env.set(e.slice(0, at), e.slice(at + 1));
  }
  const scope = new Scope(env, true);
  let state = { config, author: undefined, cmdSet: false };
  for (const raw of parsed.instructions) {
    const ins: Instruction = expandInstruction(raw, expanderFor(scope, parsed.escape, raw));
    const plan = planStep(ins, state, { instruction: ins });
    const next = { ...plan.config };
    if (ins.kind === 'CMD') restore(next, 'ArgsEscaped', state.config.ArgsEscaped);
    if (ins.kind === 'ENV') for (const p of ins.pairs) scope.setEnv(p.key, p.value);
    state = { config: next, author: undefined, cmdSet: plan.cmdSet ?? state.cmdSet };
  }
  return state.config;
}

function restore<K extends keyof ContainerConfig>(
  c: ContainerConfig,
  key: K,
  value: ContainerConfig[K] | undefined,
): void {
  if (value === undefined) delete c[key];
  else c[key] = value;
}
