/**
 * The text/template parser (Go's parse/parse.go) over the tokens of lexer.ts.
 * Errors read as Go's do, `template: :LINE: message`, and carry the line of
 * the last token read. Functions must be known at parse time, as in Go:
 * `{{foo}}` fails with `function "foo" not defined` before anything runs.
 * `{{define}}`, `{{template}}` and `{{block}}` are not supported.
 */
import type {
  ArgNode,
  BranchNode,
  CommandNode,
  DelimiterNode,
  ListNode,
  Node,
  PipeNode,
  VariableNode,
} from './ast.js';
import { nodeString } from './ast.js';
import { lex } from './lexer.js';
import { StepMeter } from './step-meter.js';
import { TokenStream } from './token-stream.js';
import { tokenString, type Token } from './token.js';
import { parseGoNumber } from './number.js';
import { goQuote, unquote } from '../../util/go-quote.js';

/**
 * Parse `text` into a tree; `funcs` are the names `{{name …}}` may call.
 * `meter` is charged a step per token made and per token read.
 */
export function parseTree(
  text: string,
  funcs: ReadonlySet<string>,
  meter = new StepMeter(),
): ListNode {
  return new Parser(text, lex(text, meter), funcs, meter).parse();
}

function isDelimiter(n: Node | DelimiterNode): n is DelimiterNode {
  return n.type === 'else' || n.type === 'end';
}

type NumberKind = 'number' | 'charConstant' | 'complex';

/** Tokens that can begin a command. */
const OPERAND_START = new Set(
  'bool charConstant complex dot field identifier number nil rawString string variable leftParen'.split(
    ' ',
  ),
);

/** Nesting of parentheses and of if/range/with, well within the JavaScript stack. */
const MAX_DEPTH = 1000;

class Parser extends TokenStream {
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private depth = 0;

  constructor(
    text: string,
    tokens: Token[],
    private readonly funcs: ReadonlySet<string>,
    meter: StepMeter,
  ) {
    super(text, tokens, meter);
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      const n = this.textOrAction();
      if (isDelimiter(n)) return this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  /** Nodes up to `{{else}}` or `{{end}}`, which is returned beside them. */
  private itemList(): [ListNode, DelimiterNode] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (isDelimiter(n)) return [list, n];
      list.nodes.push(n);
    }
    return this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | DelimiterNode {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') return this.action();
    return this.unexpected(t, 'input');
  }

  private action(): Node | DelimiterNode {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'if':
      case 'range':
      case 'with':
        return this.control(t.type);
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'break':
      case 'continue':
        return this.loopControl(t);
      case 'define':
      case 'template':
      case 'block':
        return this.errorf(`{{${t.type}}} is not supported`);
    }
    this.i--;
    const pos = this.peek().pos;
    return { type: 'action', pos, pipe: this.pipeline('command') };
  }

  private loopControl(t: Token): Node {
    const type = t.type as 'break' | 'continue';
    const next = this.nextNonSpace();
    if (next.type !== 'rightDelim') this.unexpected(next, `{{${type}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${type}}} outside {{range}}`);
    return { type, pos: t.pos };
  }

  private elseControl(): DelimiterNode {
    const peek = this.peekNonSpace();
    // "{{else if …}}" and "{{else with …}}" are "{{else}}{{if …}}…{{end}}".
    if (peek.type === 'if' || peek.type === 'with') return { type: 'else', pos: peek.pos };
    return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) this.errorf('max expression depth exceeded');
    const result = parse();
    this.depth--;
    return result;
  }

  private control(context: 'if' | 'range' | 'with'): BranchNode {
    return this.nested(() => this.branch(context));
  }

  private branch(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(context);
    if (context === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.type === 'else') {
      const chained = this.peek().type;
      if (context !== 'range' && chained === context) {
        this.next();
        elseList = { type: 'list', pos: next.pos, nodes: [this.control(context)] };
      } else {
        const [nodes, end] = this.itemList();
        if (end.type !== 'end') this.errorf(`expected end; found ${nodeString(end)}`);
        elseList = nodes;
      }
    }
    this.vars.length = mark;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private declare(v: Token, pipe: PipeNode): void {
    pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
    this.vars.push(v.val);
  }

  /** declarations? command ('|' command)* — up to `}}` or `)`, which is left unread if `)`. */
  private pipeline(context: string): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      decl: [],
      isAssign: false,
      cmds: [],
    };
    for (let v = this.peekNonSpace(); v.type === 'variable'; v = this.peekNonSpace()) {
      const save = this.i;
      this.next();
      const after = this.peekNonSpace();
      if (after.type === 'assign' || after.type === 'declare') {
        pipe.isAssign = after.type === 'assign';
        this.nextNonSpace();
        this.declare(v, pipe);
        break;
      }
      if (after.type === 'char' && after.val === ',') {
        this.nextNonSpace();
        this.declare(v, pipe);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === 'rightDelim' || t.type === 'rightParen') {
        this.checkPipeline(pipe, context);
        if (t.type === 'rightParen') this.i--;
        return pipe;
      }
      if (!OPERAND_START.has(t.type)) this.unexpected(t, context);
      this.i--;
      pipe.cmds.push(this.command());
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const first = c.args[0]?.type;
      if (first && ['bool', 'dot', 'nil', 'number', 'string'].includes(first)) {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  /** Space-separated operands up to `|` (consumed), `}}` or `)` (left). */
  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.i--;
      else if (t.type !== 'pipe') this.errorf(`unexpected ${tokenString(t)} in operand`);
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  /** A term followed by `.Field`s: `.A.B`, `$x.A`, `(pipeline).A`. */
  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
      case 'variable':
        return { type: node.type, pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { type: 'chain', pos, node, field: fields };
    }
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.funcs.has(t.val)) this.errorf(`function ${goQuote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable':
        return this.useVar(t);
      case 'field':
        return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return {
          type: 'number',
          pos: t.pos,
          text: t.val,
          ...this.attempt(() => parseGoNumber(t.val, t.type as NumberKind)),
        };
      case 'leftParen': {
        const pipe = this.nested(() => this.pipeline('parenthesized pipeline'));
        const close = this.next();
        if (close.type !== 'rightParen') {
          this.errorf(`unclosed right paren: unexpected ${tokenString(close)}`);
        }
        return pipe;
      }
      case 'string':
      case 'rawString':
        return {
          type: 'string',
          pos: t.pos,
          quoted: t.val,
          text: this.attempt(() => unquote(t.val)),
        };
    }
    this.i--;
    return undefined;
  }

  private useVar(t: Token): VariableNode {
    const name = t.val;
    if (!this.vars.includes(name)) this.errorf(`undefined variable ${goQuote(name)}`);
    return { type: 'variable', pos: t.pos, ident: [name] };
  }
}
