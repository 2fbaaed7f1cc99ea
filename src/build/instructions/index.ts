/** Every instruction's handler, in a table the compiler checks (STYLE.md #1). */
import type { Instruction } from '../../dockerfile/ast.js';
import { arg } from './arg.js';
import { cmd, entrypoint } from './command.js';
import { add, copy } from './copy.js';
import { env } from './env.js';
import { expose } from './expose.js';
import { from } from './from.js';
import { healthcheck } from './healthcheck.js';
import { label } from './label.js';
import { maintainer } from './maintainer.js';
import { onbuild } from './onbuild.js';
import { run } from './run.js';
import { shell } from './shell.js';
import { stopsignal } from './stopsignal.js';
import type { Handler } from './types.js';
import { user } from './user.js';
import { volume } from './volume.js';
import { workdir } from './workdir.js';

export type { Effect, Handler, Plan, PlanState } from './types.js';

export const handlers: { [K in Instruction['kind']]: Handler<Extract<Instruction, { kind: K }>> } =
  {
    FROM: from,
    RUN: run,
    CMD: cmd,
    ENTRYPOINT: entrypoint,
    SHELL: shell,
    ENV: env,
    LABEL: label,
    ARG: arg,
    MAINTAINER: maintainer,
    EXPOSE: expose,
    USER: user,
    WORKDIR: workdir,
    VOLUME: volume,
    STOPSIGNAL: stopsignal,
    COPY: copy,
    ADD: add,
    ONBUILD: onbuild,
    HEALTHCHECK: healthcheck,
  };

export function planStep(
  ins: Instruction,
  ...rest: Parameters<Handler<Instruction>['plan']> extends [unknown, ...infer R] ? R : never
) {
  return (handlers[ins.kind] as Handler<Instruction>).plan(ins, ...rest);
}
