/**
 * The parse tree, shaped like Go's text/template/parse nodes. `pos` is the
 * node's offset in the template text; `nodeString` rebuilds the source the way
 * Go's String methods do, for the `at <…>` part of execution errors.
 */

export interface ListNode {
  type: 'list';
  pos: number;
  nodes: Node[];
}
export interface TextNode {
  type: 'text';
  pos: number;
  text: string;
}
export interface ActionNode {
  type: 'action';
  pos: number;
  pipe: PipeNode;
}
/** `{{if}}`, `{{range}}` and `{{with}}`; `{{else if …}}` is an else list holding one if. */
export interface BranchNode {
  type: 'if' | 'range' | 'with';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}
export interface LoopControlNode {
  type: 'break' | 'continue';
  pos: number;
}
/** Returned by the parser for `{{else}}` and `{{end}}`; never in a finished tree. */
export interface DelimiterNode {
  type: 'else' | 'end';
  pos: number;
}
export type Node = ListNode | TextNode | ActionNode | BranchNode | LoopControlNode;

export interface PipeNode {
  type: 'pipe';
  pos: number;
  /** `$x := …` or `$i, $e := …`; `isAssign` for `$x = …`. */
  decl: VariableNode[];
  isAssign: boolean;
  cmds: CommandNode[];
}
export interface CommandNode {
  type: 'command';
  pos: number;
  args: ArgNode[];
}
/** `.A.B`: `ident` is ['A', 'B']. */
export interface FieldNode {
  type: 'field';
  pos: number;
  ident: string[];
}
/** `$x.A`: `ident` is ['$x', 'A']. */
export interface VariableNode {
  type: 'variable';
  pos: number;
  ident: string[];
}
export interface IdentifierNode {
  type: 'identifier';
  pos: number;
  name: string;
}
/** `(pipeline).A.B`. */
export interface ChainNode {
  type: 'chain';
  pos: number;
  node: ArgNode;
  field: string[];
}
export interface DotNode {
  type: 'dot';
  pos: number;
}
export interface NilNode {
  type: 'nil';
  pos: number;
}
export interface BoolNode {
  type: 'bool';
  pos: number;
  value: boolean;
}
export interface NumberNode {
  type: 'number';
  pos: number;
  /** As written, e.g. `0x1F` or `'a'`. */
  text: string;
  /** A bigint for integers beyond 2^53. */
  value: number | bigint;
  /** Go's IsInt: fits an int64 (a float constant with an integral value does too). */
  isInt: boolean;
  /** Written as a float (`.`, exponent), so untyped it is a float64. */
  isFloat: boolean;
}
export interface StringNode {
  type: 'string';
  pos: number;
  /** As written, quotes included. */
  quoted: string;
  text: string;
}
export type ArgNode =
  | FieldNode
  | VariableNode
  | IdentifierNode
  | ChainNode
  | PipeNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode;

type AnyNode = Node | ArgNode | CommandNode | DelimiterNode;

function argString(n: ArgNode): string {
  return n.type === 'pipe' ? `(${nodeString(n)})` : nodeString(n);
}

function branchString(n: BranchNode): string {
  const elsePart = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
  return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${elsePart}{{end}}`;
}

export function nodeString(n: AnyNode): string {
  switch (n.type) {
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with':
      return branchString(n);
    case 'break':
    case 'continue':
    case 'else':
    case 'end':
      return `{{${n.type}}}`;
    case 'pipe': {
      const decl = n.decl.length
        ? `${n.decl.map(nodeString).join(', ')} ${n.isAssign ? '=' : ':='} `
        : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map(argString).join(' ');
    case 'field':
      return n.ident.map((id) => '.' + id).join('');
    case 'variable':
      return n.ident.join('.');
    case 'identifier':
      return n.name;
    case 'chain':
      return argString(n.node) + n.field.map((f) => '.' + f).join('');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
  }
}
