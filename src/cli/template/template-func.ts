/**
 * The shape of a function a template can call. Parameters are typed the way
 * Go's reflection checks them before the call, so `{{upper .Size}}` fails with
 * "wrong type for value; expected string; got int" as Docker's does.
 */
import { goTypeName, isGoInt } from './value.js';

/**
 * `any` is interface{}: a missing value arrives as null (Go's nil).
 * `value` is reflect.Value, as Go's builtins take it: a missing value arrives
 * as undefined (Go's invalid Value), so `len` and `index` can tell it apart.
 * `strings` is []string.
 */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'strings';

export interface TemplateFunc {
  params: readonly ParamType[];
  /** Type of the `...` parameter after `params`, for variadic functions. */
  variadic?: ParamType;
  /** `and` and `or`: arguments are evaluated one at a time and may stop early. */
  shortCircuit?: 'and' | 'or';
  /** `call`: the first argument as written is passed first, for its error message. */
  calleeName?: boolean;
  fn(...args: never[]): unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

/** Thrown by a function; the executor reports "error calling NAME: message". */
export class CallError extends Error {}

/** How Go names each parameter type in "wrong type for value" errors. */
export const GO_PARAM_TYPE: Record<ParamType, string> = {
  any: 'interface {}',
  value: 'reflect.Value',
  string: 'string',
  int: 'int',
  strings: '[]string',
};

/** A function found on the data, called as Go calls a method; what it throws is a CallError. */
export function methodFunc(receiver: object, fn: (...args: unknown[]) => unknown): TemplateFunc {
  return {
    params: Array<ParamType>(fn.length).fill('any'),
    variadic: 'any',
    fn: (...args: unknown[]) => {
      try {
        return fn.apply(receiver, args);
      } catch (e) {
        throw new CallError(e instanceof Error ? e.message : String(e));
      }
    },
  };
}

/** Go's validateType: the value as a parameter of `type` receives it, or why it cannot. */
export function checkArg(value: unknown, type: ParamType): { value: unknown } | { reason: string } {
  switch (type) {
    case 'value':
      return { value };
    case 'any':
      return { value: value === undefined ? null : value };
    case 'string':
      if (typeof value === 'string') return { value };
      break;
    case 'int':
      if (isGoInt(value)) return { value: Number(value) };
      break;
    case 'strings':
      if (value === undefined || value === null) return { value: [] };
      if (Array.isArray(value) && value.every((e) => typeof e === 'string')) return { value };
      break;
  }
  const expected = GO_PARAM_TYPE[type];
  if (value === undefined || value === null)
    return { reason: `invalid value; expected ${expected}` };
  return { reason: `wrong type for value; expected ${expected}; got ${goTypeName(value)}` };
}
