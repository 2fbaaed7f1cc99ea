/**
 * Evaluates pipelines, as Go's text/template/exec.go does: dot and variables,
 * field chains, commands whose value becomes the last argument of the next,
 * and calls checked against each function's parameter types.
 *
 * A field on a map that lacks the key gives Go's invalid value (undefined,
 * printed `<no value>`); a field on null is an error ("nil pointer
 * evaluating"), and so is a missing field of a goStruct. A function found on
 * the data is called as a method: `{{.Label "x"}}`.
 */
import type {
  ArgNode,
  ChainNode,
  CommandNode,
  IdentifierNode,
  Node,
  NumberNode,
  PipeNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { goQuote } from '../../util/go-quote.js';
import { StepMeter } from './step-meter.js';
import { lineOf, TemplateError } from './template-error.js';
import {
  CallError,
  checkArg,
  GO_PARAM_TYPE,
  methodFunc,
  type FuncMap,
  type ParamType,
  type TemplateFunc,
} from './template-func.js';
import { fieldOf, goTypeName, isMap, isStruct, isTrue, zeroElement } from './value.js';

/** The "no value from an earlier command" marker for a pipeline's first command. */
const MISSING = Symbol('missing');

type Located = Node | ArgNode | CommandNode;

/**
 * Go's missingkey option: what a field of a map that lacks the key gives.
 * `default` is Go's invalid value, printed `<no value>`; `zero` the map's
 * zero value ("" for strings); `error` stops with "map has no entry for key".
 * `docker inspect -f` retries a failed template on the raw JSON with `error`.
 */
export type MissingKey = 'default' | 'zero' | 'error';

export class Evaluator {
  private node: Located | undefined;
  protected readonly vars: { name: string; value: unknown }[];

  constructor(
    private readonly text: string,
    private readonly funcs: FuncMap,
    data: unknown,
    private readonly missingKey: MissingKey,
    /** Charged a step per node evaluated (every call of `at`). */
    private readonly meter = new StepMeter(),
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  protected at(node: Located): void {
    this.meter.step();
    this.node = node;
  }

  protected errorf(reason: string): never {
    const node = this.node;
    if (!node) throw new TemplateError(`template: : ${reason}`, { reason });
    const { line, col } = lineOf(this.text, node.pos);
    const context = nodeString(node);
    const message = `template: :${line}:${col}: executing "" at <${context}>: ${reason}`;
    throw new TemplateError(message, { line, col, context, reason });
  }

  protected setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  protected setVar(name: string, value: unknown): void {
    const v = this.vars.findLast((x) => x.name === name);
    if (!v) this.errorf(`undefined variable: ${name}`);
    v.value = value;
  }

  private varValue(name: string): unknown {
    const v = this.vars.findLast((x) => x.name === name);
    if (!v) this.errorf(`undefined variable: ${name}`);
    return v.value;
  }

  protected evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      const name = v.ident[0] as string;
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: unknown): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0] as ArgNode)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0] as ArgNode;
    switch (first.type) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  private idealConstant(n: NumberNode): number | bigint {
    this.at(n);
    if (!n.isInt && !n.isFloat) this.errorf(`${n.text} overflows int`);
    return n.value;
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: unknown): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') {
      this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    }
    const receiver = this.evalArg(dot, 'value', chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.field, args, final);
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[], final: unknown): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0] as string);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Located,
    ident: string[],
    args: ArgNode[],
    final: unknown,
  ): unknown {
    const last = ident.length - 1;
    for (let i = 0; i < last; i++) {
      receiver = this.evalField(dot, ident[i] as string, node, [], MISSING, receiver);
    }
    return this.evalField(dot, ident[last] as string, node, args, final, receiver);
  }

  private evalField(
    dot: unknown,
    name: string,
    node: Located,
    args: ArgNode[],
    final: unknown,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.missingKey === 'error') this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (!isMap(receiver) && !isStruct(receiver)) {
      return this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    }
    const { found, value } = fieldOf(receiver, name);
    if (typeof value === 'function') {
      const fn = methodFunc(receiver, value as (...a: unknown[]) => unknown);
      return this.evalCall(dot, fn, node, name, args, final);
    }
    const struct = isStruct(receiver);
    if (struct && !found) {
      this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    }
    if (args.length > 1 || final !== MISSING) {
      this.errorf(
        struct
          ? `${name} has arguments but cannot be invoked as function`
          : `${name} is not a method but has arguments`,
      );
    }
    if (!found && this.missingKey === 'error') {
      this.errorf(`map has no entry for key ${goQuote(name)}`);
    }
    return !found && this.missingKey === 'zero' ? zeroElement(receiver) : value;
  }

  private evalFunction(
    dot: unknown,
    ident: IdentifierNode,
    cmd: Located,
    args: ArgNode[],
    final: unknown,
  ): unknown {
    this.at(ident);
    const fn = Object.hasOwn(this.funcs, ident.name) ? this.funcs[ident.name] : undefined;
    if (!fn) return this.errorf(`${goQuote(ident.name)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, ident.name, args, final);
  }

  private evalCall(
    dot: unknown,
    fn: TemplateFunc,
    node: Located,
    name: string,
    args: ArgNode[],
    final: unknown,
  ): unknown {
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final === MISSING ? 0 : 1);
    const fixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < fixed) {
        this.errorf(
          `wrong number of args for ${name}: want at least ${fixed} got ${argNodes.length}`,
        );
      }
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    const typeOf = (i: number): ParamType => fn.params[i] ?? fn.variadic ?? 'any';
    if (fn.shortCircuit) {
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (fn.shortCircuit === 'or')) return v;
      }
      return final === MISSING ? v : final;
    }
    const argv = argNodes.map((a, i) => this.evalArg(dot, typeOf(i), a));
    if (final !== MISSING) argv.push(this.validateType(final, typeOf(numIn - 1)));
    if (fn.calleeName) argv.unshift(argNodes[0] ? nodeString(argNodes[0]) : '');
    try {
      return fn.fn(...(argv as never[]));
    } catch (e) {
      if (!(e instanceof CallError)) throw e;
      this.at(node);
      return this.errorf(`error calling ${name}: ${e.message}`);
    }
  }

  private evalArg(dot: unknown, type: ParamType, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (type === 'any' || type === 'value' || type === 'strings') {
          return type === 'any' ? null : type === 'value' ? undefined : [];
        }
        return this.errorf(`cannot assign nil to ${GO_PARAM_TYPE[type]}`);
      case 'field':
        return this.validateType(this.evalFieldChain(dot, dot, n, n.ident, [n], MISSING), type);
      case 'variable':
        return this.validateType(this.evalVariable(dot, n, [n], MISSING), type);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, [n], MISSING), type);
      case 'chain':
        return this.validateType(this.evalChain(dot, n, [n], MISSING), type);
    }
    if (type === 'string' && n.type === 'string') return n.text;
    if (type === 'int' && n.type === 'number' && n.isInt) return Number(n.value);
    if (type === 'any' || type === 'value') {
      return n.type === 'number' ? this.idealConstant(n) : n.type === 'bool' ? n.value : n.text;
    }
    if (type === 'strings')
      return this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    const expected = type === 'int' ? 'integer' : 'string';
    return this.errorf(`expected ${expected}; found ${nodeString(n)}`);
  }

  /** Go's validateType: may this value go where a parameter of this type is? */
  private validateType(value: unknown, type: ParamType): unknown {
    const checked = checkArg(value, type);
    return 'reason' in checked ? this.errorf(checked.reason) : checked.value;
  }
}
