/**
 * Walks a parse tree, writing output to `out` piece by piece, so a caller
 * that ignores an error (the Docker CLI does, for a table's header) keeps
 * what was written before it. Control structures are Go's: if/with/range
 * with else (and else if / else with), break and continue; a range over an
 * object visits its keys in sorted order, as Go ranges over a map.
 */
import type { BranchNode, ListNode, Node } from './ast.js';
import { nodeString } from './ast.js';
import { Evaluator, type MissingKey } from './eval.js';
import { StepMeter } from './step-meter.js';
import type { FuncMap } from './template-func.js';
import { formatValue, goTypeName, isGoInt, isMap, isTrue, sortedKeys } from './value.js';

class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

export function execute(
  text: string,
  root: ListNode,
  funcs: FuncMap,
  data: unknown,
  out: string[],
  missingKey: MissingKey = 'default',
  meter = new StepMeter(),
): void {
  new Walker(text, funcs, data, missingKey, out, meter).walk(data, root);
}

class Walker extends Evaluator {
  constructor(
    text: string,
    funcs: FuncMap,
    data: unknown,
    missingKey: MissingKey,
    private readonly out: string[],
    meter: StepMeter,
  ) {
    super(text, funcs, data, missingKey, meter);
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, value);
        return;
      }
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'range':
        return this.walkRange(dot, node);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'text':
        this.out.push(node.text);
        return;
      case 'break':
      case 'continue':
        throw new LoopSignal(node.type);
    }
  }

  private printValue(node: Node, value: unknown): void {
    this.at(node);
    if (typeof value === 'function') {
      this.errorf(`can't print ${nodeString(node)} of type ${goTypeName(value)}`);
    }
    this.out.push(value === undefined ? '<no value>' : formatValue(value));
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, node.pipe);
    if (isTrue(value)) this.walk(node.type === 'with' ? value : dot, node.list);
    else if (node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark;
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.vars.length;
    const value = this.evalPipeline(dot, r.pipe);
    const mark = this.vars.length;
    const decl = r.pipe.decl.map((v) => v.ident[0] as string);
    /** One pass of the body; false after {{break}}. */
    const iteration = (index: unknown, elem: unknown): boolean => {
      if (r.pipe.isAssign) {
        if (decl.length > 1) this.setVar(decl[0] as string, index);
        if (decl.length > 0) this.setVar(decl[decl.length - 1] as string, elem);
      } else {
        if (decl.length > 0) this.setTopVar(1, elem);
        if (decl.length > 1) this.setTopVar(2, index);
      }
      try {
        this.walk(elem, r.list);
      } catch (e) {
        if (!(e instanceof LoopSignal)) throw e;
        if (e.kind === 'break') return false;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    let entries: Iterable<[unknown, unknown]> = [];
    let empty = true;
    if (Array.isArray(value)) entries = value.map((e, i) => [i, e]);
    else if (isMap(value)) entries = sortedKeys(value).map((k) => [k, value[k]]);
    else if (isGoInt(value)) {
      if (decl.length > 1) {
        this.errorf(`can't use ${formatValue(value)} to iterate over more than one variable`);
      }
      // Counted as it goes, not made into a list first: Go loops over a huge
      // count (for a long time) where a list of it would not fit in memory.
      entries = upTo(BigInt(value));
    } else if (value !== undefined && value !== null) {
      this.errorf(`range can't iterate over ${formatValue(value)}`);
    }
    for (const [index, elem] of entries) {
      empty = false;
      if (!iteration(index, elem)) break;
    }
    if (empty && r.elseList) this.walk(dot, r.elseList);
    this.vars.length = outer;
  }
}

/** 0, 1, … n-1 as [index, element] pairs; numbers while they are exact. */
function* upTo(n: bigint): Generator<[unknown, unknown]> {
  for (let i = 0n; i < n; i++) {
    const v = i <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(i) : i;
    yield [v, v];
  }
}
