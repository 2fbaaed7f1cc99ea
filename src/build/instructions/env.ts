/**
 * ENV A=1 B="x y" — each key replaces an earlier value in place (order kept), a new one is
 * appended. History: `ENV A=1 B=x y`, values unquoted, as BuildKit writes it.
 */
import type { EnvInstruction } from '../../dockerfile/ast.js';
import { formatInstruction } from '../../dockerfile/format.js';
import type { Handler } from './types.js';

export const env: Handler<EnvInstruction> = {
  plan(ins, st) {
    let list = [...(st.config.Env ?? [])];
    for (const { key, value } of ins.pairs) list = setEnv(list, key, value);
    return {
      config: { ...st.config, Env: list },
      history: `ENV ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`,
      key: formatInstruction(ins),
    };
  },
};

export function setEnv(list: string[], key: string, value: string): string[] {
  const i = list.findIndex((e) => e === key || e.startsWith(`${key}=`));
  const entry = `${key}=${value}`;
  if (i < 0) return [...list, entry];
  const out = [...list];
  out[i] = entry;
  return out;
}

export function getEnv(
  list: readonly string[] | null | undefined,
  key: string,
): string | undefined {
  const e = list?.find((x) => x.startsWith(`${key}=`));
  return e?.slice(key.length + 1);
}
