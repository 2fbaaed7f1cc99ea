/**
 * CMD and ENTRYPOINT, and how a command line becomes argv: exec form as is, shell form
 * through the stage's SHELL (default `/bin/sh -c`).
 *
 *   ENTRYPOINT ["/app"] — clears a CMD inherited from the base image, not one set
 *   earlier in this stage (Docker's rule; BuildKit's `cmdSet`).
 *   CMD sets ArgsEscaped, in exec form too; ENTRYPOINT leaves it as it was.
 *   `CMD []` and `ENTRYPOINT []` leave none (null): Go writes an empty list as none.
 *   Pinned by test/fixtures/build-cases entrypoint-clears-base-cmd, entrypoint-keeps-stage-cmd.
 */
import type { CmdInstruction, CommandLine, EntrypointInstruction } from '../../dockerfile/ast.js';
import type { ContainerConfig } from '../../image/types.js';
import { goQuote } from '../../util/go-quote.js';
import type { Handler } from './types.js';

const DEFAULT_SHELL = ['/bin/sh', '-c'];

export function argvOf(c: CommandLine, config: ContainerConfig): string[] {
  if (c.form === 'exec') return c.argv;
  const shell = config.Shell && config.Shell.length > 0 ? config.Shell : DEFAULT_SHELL;
  return [...shell, c.script];
}

/** Go's `%q` of a []string: `["/bin/sh" "-c" "echo hi"]`. */
export function goList(list: string[]): string {
  return `[${list.map((s) => goQuote(s)).join(' ')}]`;
}

export const cmd: Handler<CmdInstruction> = {
  plan(ins, st) {
    const Cmd = argvOf(ins.command, st.config);
    // BuildKit sets ArgsEscaped on every CMD, either form (a Windows flag it never clears).
    const config: ContainerConfig = { ...st.config, Cmd: orNull(Cmd), ArgsEscaped: true };
    return {
      config,
      cmdSet: true,
      history: `CMD ${goList(Cmd)}`,
      key: `CMD ${JSON.stringify(Cmd)}`,
    };
  },
};

export const entrypoint: Handler<EntrypointInstruction> = {
  plan(ins, st) {
    const Entrypoint = argvOf(ins.command, st.config);
    const config: ContainerConfig = { ...st.config, Entrypoint: orNull(Entrypoint) };
    if (!st.cmdSet) config.Cmd = null;
    return {
      config,
      history: `ENTRYPOINT ${goList(Entrypoint)}`,
      key: `ENTRYPOINT ${JSON.stringify(Entrypoint)}`,
    };
  },
};

/** BuildKit's `[]` is a Go slice with omitempty: written as none at all. */
function orNull(argv: string[]): string[] | null {
  return argv.length === 0 ? null : argv;
}
