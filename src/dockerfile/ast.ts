/**
 * The Dockerfile's shapes, in two layers, as BuildKit has them:
 *
 *  - `Node`: what the grammar makes of one logical instruction — the keyword,
 *    the `--flags` as written, and the arguments split the way Docker's
 *    per-instruction line parsers split them (JSON array, shell text, words,
 *    key/value pairs). Nothing is validated or expanded yet.
 *  - `Instruction`: one typed instruction, flags validated against the
 *    instruction's flag table, arguments counted and named. Values are still
 *    unexpanded (`$VAR` as written): expansion needs the ARG/ENV scope of the
 *    stage, which `stages.ts` tracks.
 *
 * Every node carries its `span`; the JSON printed by `tsbuild parse --json`
 * is these objects as they are (see README "parse output").
 */
import type { Span } from '../errors.js';

export type { Span };

export type EscapeToken = '\\' | '`';

/** A parser directive such as `# escape=\``, kept with where it was. */
export interface Directive {
  name: 'escape' | 'syntax' | 'check';
  value: string;
  span: Span;
}

/** A heredoc body attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`). */
export interface Heredoc {
  /** The delimiter word, quotes removed: `EOF`. */
  name: string;
  /** The file descriptor written before `<<` (`3<<EOF`), 0 when none. */
  fd: number;
  /** False when any part of the delimiter was quoted: the body is not expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body lines and the terminator. */
  chomp: boolean;
  /** The body, every line with its newline, exactly as in the file. */
  content: string;
  span: Span;
}

/** A word of the arguments, as written, with where it is. */
export interface Word {
  value: string;
  span: Span;
}

/** A `--name[=value]` flag as written before the arguments. */
export interface RawFlag {
  name: string;
  /** undefined for a bare `--name`; quotes and backslashes already processed. */
  value: string | undefined;
  span: Span;
}

/** A `key=value` (or legacy `key value`) pair of ENV or LABEL, quotes kept. */
export interface RawPair {
  key: string;
  value: string;
  span: Span;
}

/** The arguments of an instruction, split the way Docker's line parser for it splits them. */
export type NodeArgs =
  /** Nothing after the keyword (and flags). */
  | { kind: 'empty' }
  /** `["a", "b"]`: a JSON array of strings (exec form). */
  | { kind: 'json'; items: string[]; span: Span }
  /**
   * Shell form. `invalidJson` is set when the text starts with `[` but is not a
   * JSON array of strings, so Docker fell back to shell form.
   */
  | { kind: 'shell'; text: string; span: Span; invalidJson: boolean }
  /** Whitespace-separated words, no quote handling (FROM, EXPOSE, COPY/ADD/VOLUME shell form). */
  | { kind: 'words'; words: Word[]; invalidJson: boolean }
  /** Words split with quotes and escapes kept (ARG). */
  | { kind: 'quotedWords'; words: Word[] }
  /** ENV and LABEL: `key=value …` or the legacy `key value`. */
  | { kind: 'pairs'; legacy: boolean; pairs: RawPair[] }
  /**
   * One string, the rest of the line (MAINTAINER, STOPSIGNAL, USER, WORKDIR;
   * and the argument of an ONBUILD chained under two others, see nodes.ts).
   */
  | { kind: 'string'; text: string; span: Span }
  /** HEALTHCHECK: the type word (`CMD` or `NONE`) and the command after it. */
  | { kind: 'health'; type: Word; command: NodeArgs }
  /** ONBUILD: the trigger instruction, parsed like any other. */
  | { kind: 'sub'; node: Node };

/** One logical instruction as the grammar read it. */
export interface Node {
  /** The keyword as written: `run`, `Copy`. */
  keyword: string;
  /** The keyword upper-cased: `RUN`. */
  command: string;
  keywordSpan: Span;
  flags: RawFlag[];
  args: NodeArgs;
  heredocs: Heredoc[];
  /** The logical line, continuations joined as Docker joins them. */
  original: string;
  /** From the keyword to the end of the last heredoc. */
  span: Span;
  /** Comment lines right before the instruction (`# text` → `text`). */
  comments: string[];
}

/** The command of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD. */
export type CommandLine =
  /** `["/bin/app", "-x"]`: run as is. */
  | { form: 'exec'; argv: string[] }
  /** `/bin/app -x`: run through the stage's SHELL. */
  | { form: 'shell'; script: string };

export interface KeyValue {
  key: string;
  value: string;
  span: Span;
}

interface Base {
  span: Span;
  /** The instruction as written (the logical line), for history and messages. */
  original: string;
}

export interface FromInstruction extends Base {
  kind: 'FROM';
  /** The base: an image reference, a stage name, or `scratch` (unexpanded). */
  image: string;
  imageSpan: Span;
  /** `AS name`, lower-cased as Docker does; undefined when unnamed. */
  stageName: string | undefined;
  /** The name as written (for the stage-name casing warning). */
  stageNameAsWritten: string | undefined;
  platform: string | undefined;
}

export interface RunInstruction extends Base {
  kind: 'RUN';
  command: CommandLine;
  /** Heredoc bodies: files the command can read, or the script itself. */
  heredocs: Heredoc[];
  /** `--mount=…` values as written (after expansion: canonical, see mount.ts), in order. */
  mounts: string[];
  /** Where each `--mount` flag was written, for errors that point at its fields (absent when none). */
  mountSpans?: Span[];
  network: 'default' | 'none' | 'host' | undefined;
  security: 'sandbox' | 'insecure' | undefined;
}

export interface CmdInstruction extends Base {
  kind: 'CMD';
  command: CommandLine;
}

export interface EntrypointInstruction extends Base {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}

export interface ShellInstruction extends Base {
  kind: 'SHELL';
  argv: string[];
}

export interface EnvInstruction extends Base {
  kind: 'ENV';
  /** Values still quoted and unexpanded, as Docker's parser keeps them. */
  pairs: KeyValue[];
  legacy: boolean;
}

export interface LabelInstruction extends Base {
  kind: 'LABEL';
  pairs: KeyValue[];
  legacy: boolean;
}

export interface ArgDefinition {
  key: string;
  /** undefined for `ARG name` with no default. */
  value: string | undefined;
  span: Span;
}

export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDefinition[];
}

export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}

export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  ports: Word[];
}

export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}

export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  paths: Word[];
}

export interface StopsignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}

/** A heredoc used as a COPY/ADD source: `COPY <<EOF /dst`. */
export interface InlineSource {
  name: string;
  content: string;
  expand: boolean;
}

interface CopyLike extends Base {
  /** Source paths (unexpanded), heredoc sources excluded. */
  sources: Word[];
  /** Heredoc sources, in order. */
  inline: InlineSource[];
  dest: Word;
  chown: string | undefined;
  /** Where `--chown` was written: a value out of range is reported there. */
  chownSpan?: Span;
  chmod: string | undefined;
  /** Where `--chmod` was written: a mode that is neither octal nor symbolic is reported there. */
  chmodSpan?: Span;
  link: boolean;
  exclude: string[];
}

export interface CopyInstruction extends CopyLike {
  kind: 'COPY';
  from: string | undefined;
  parents: boolean;
}

export interface AddInstruction extends CopyLike {
  kind: 'ADD';
  checksum: string | undefined;
  keepGitDir: boolean;
}

export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger text stored in the image config: the line without `ONBUILD `. */
  expression: string;
  /**
   * The trigger parsed as an instruction of its own; undefined when Docker
   * accepts the ONBUILD but the trigger itself would only fail in the child.
   */
  trigger: Instruction | undefined;
}

export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", script]`, as in the image config. */
  test: string[];
  /** Durations in nanoseconds as Docker stores them; 0 when not given. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | UserInstruction
  | WorkdirInstruction
  | VolumeInstruction
  | StopsignalInstruction
  | CopyInstruction
  | AddInstruction
  | OnbuildInstruction
  | HealthcheckInstruction;

export type InstructionKind = Instruction['kind'];

/** Every instruction keyword Docker knows, for "did you mean" suggestions. */
export const INSTRUCTION_KINDS: readonly InstructionKind[] = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
];

/** A warning as BuildKit's checks raise them: a rule name and where. */
export interface Warning {
  rule: string;
  message: string;
  span: Span;
  /** The stage whose dispatch found it: a build reports it only if it builds the stage. */
  stage?: number;
}
