/**
 * RUN make — runs in the sandbox over the stage's filesystem; what changed is the layer.
 *
 * - Shell form goes through SHELL; heredocs are handed to that shell with the command
 *   line (`RUN cat <<EOF > /x`), and a RUN that is one heredoc alone runs its body as
 *   the script (`RUN <<EOF` … `EOF`), as BuildKit does.
 * - The build args in scope are in the environment for this step only; history shows
 *   them as BuildKit does: `RUN |1 V=2 /bin/sh -c make # buildkit`, in the order they
 *   were declared. An ARG wins over the base image's ENV of the same name, as in
 *   BuildKit. Proxy args are in the environment (upper and lower case, whichever was
 *   given) but neither in the history nor in the key. Pinned by test/fixtures/build-cases arg-build-args, arg-over-base-env,
 * arg-shadowed-by-env, arg-stage-scope.
 * - `--mount`s (mounts/) are not in the history, as in BuildKit's; their
 *   declarations are in the key, a bind's contents too (stage.ts), a secret's
 *   value and a cache's contents never.
 */
import type { RunInstruction } from '../../dockerfile/ast.js';
import { DockerfileError } from '../../errors.js';
import { parseMount } from '../../dockerfile/mount.js';
import { posix } from 'node:path';
import { mountKeyText, stepMounts, type StepMount } from '../mounts/spec.js';
import { argvOf } from './command.js';
import { getEnv, setEnv } from './env.js';
import type { Handler } from './types.js';

export const run: Handler<RunInstruction> = {
  plan(ins, st, step) {
    if (ins.security === 'insecure')
      throw new DockerfileError(
        'UNSUPPORTED',
        'RUN --security=insecure is not supported: tsbuild never runs steps privileged',
        ins.span,
      );
    const { argv, inline } = commandArgv(ins, st.config);
    const args = step.args ?? {};
    // Declaration order, as BuildKit lists them (`ARG Z` then `ARG A` → `|2 Z=… A=…`).
    const names = Object.keys(args);
    let env = [...(st.config.Env ?? [])];
    // An ARG in scope wins over the image's ENV of the same name (BuildKit adds each
    // ARG to the step's environment as it is declared); the front end has already
    // left out the args a later ENV in the stage shadows.
    for (const k of names) env = setEnv(env, k, args[k]!);
    // BuildKit hands a proxy arg to the step in both spellings: HTTP_PROXY and http_proxy.
    for (const [k, v] of Object.entries(step.proxy ?? {}))
      for (const name of [k.toUpperCase(), k.toLowerCase()]) env = setEnv(env, name, v);
    // History lists every ARG this stage declared, in order, duplicates kept, each with
    // the value the step's environment has ('' when none): BuildKit's prependEnvOnCmd.
    const declared = st.declaredArgs ?? names;
    const shown = declared.map((k) => `${k}=${getEnv(env, k) ?? ''}`);
    const prefix = shown.length > 0 ? `|${shown.length} ${shown.join(' ')} ` : '';
    const network = ins.network ?? 'default';
    const cwd = st.config.WorkingDir || '/';
    const mounts: StepMount[] = [
      ...stepMounts(
        ins.mounts.map((m, i) => parseMount(m, ins.mountSpans?.[i] ?? ins.span)),
        cwd,
        ins.mounts.map((_, i) => ins.mountSpans?.[i] ?? ins.span),
      ),
      ...(inline ? [inline] : []),
    ];
    // BuildKit sets SSH_AUTH_SOCK to the first agent socket unless the image's ENV did.
    const ssh = mounts.find((m) => m.type === 'ssh');
    if (ssh && getEnv(env, 'SSH_AUTH_SOCK') === undefined)
      env = setEnv(env, 'SSH_AUTH_SOCK', ssh.target);
    const mountKey = mounts.map((m) => ` --mount=${mountKeyText(m)}`).join('');
    return {
      config: st.config,
      history: `RUN ${prefix}${argv.join(' ')} # buildkit`,
      key: `RUN ${JSON.stringify(argv)}${network === 'default' ? '' : ` --network=${network}`}${mountKey}`,
      effect: {
        kind: 'run',
        args: argv,
        env,
        cwd,
        user: st.config.User ?? '',
        network,
        mounts,
      },
    };
  },
};

/** Where BuildKit mounts a `#!` heredoc to run it as a file. */
const PIPES = '/dev/pipes';

/**
 * The step's argv, and the file a `#!` heredoc runs from. A RUN that is one
 * heredoc alone whose body starts with `#!` is a script file, `/dev/pipes/EOF`
 * (mode 0755), run through the shell so that the kernel reads its `#!` line
 * (BuildKit dispatchRun: `python3 -c body` would be wrong for interpreters
 * whose -c means something else). Another lone heredoc is the shell's script;
 * heredocs within a command line go to the shell with it.
 */
function commandArgv(
  ins: RunInstruction,
  config: Parameters<typeof argvOf>[1],
): { argv: string[]; inline?: StepMount } {
  const c = ins.command;
  if (c.form === 'exec' || ins.heredocs.length === 0) return { argv: argvOf(c, config) };
  const only = ins.heredocs.length === 1 ? ins.heredocs[0]! : undefined;
  if (only && /^<<-?(["']?)[^\s"']+\1$/.test(c.script.trim())) {
    if (only.content.startsWith('#!')) {
      const file = posix.join(PIPES, only.name);
      return {
        argv: argvOf({ form: 'shell', script: file }, config),
        inline: { type: 'inline', target: PIPES, name: only.name, content: only.content },
      };
    }
    return { argv: argvOf({ form: 'shell', script: only.content }, config) };
  }
  const bodies = ins.heredocs.map((h) => `${h.content}${h.name}\n`).join('');
  return { argv: argvOf({ form: 'shell', script: `${c.script}\n${bodies}` }, config) };
}
