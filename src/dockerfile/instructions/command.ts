import { DockerfileError } from '../../errors.js';
import type {
  CmdInstruction,
  EntrypointInstruction,
  Node,
  RunInstruction,
  ShellInstruction,
} from '../ast.js';
import { oneOf, parseFlags } from '../flags.js';
import { argWords, atLeastOne, base, commandLine } from './args.js';
import { goQuote } from '../../util/go-quote.js';

const NETWORK_MODES = ['default', 'none', 'host'] as const;
const SECURITY_MODES = ['sandbox', 'insecure'] as const;

/**
 * RUN [--mount=…] [--network=…] [--security=…] <command> — the network and
 * security modes are checked right after the flags are read (BuildKit's RUN
 * post-hooks); `--mount` values are kept as written for the mount parser.
 */
export function run(node: Node): RunInstruction {
  const flags = parseFlags(node, 'RUN');
  const network = oneOf(
    'RUN',
    'network',
    flags,
    NETWORK_MODES,
    (v) => `invalid network mode ${goQuote(v)}`,
  );
  const security = oneOf(
    'RUN',
    'security',
    flags,
    SECURITY_MODES,
    (v) => `security ${goQuote(v)} is not valid`,
  );
  return {
    kind: 'RUN',
    ...base(node),
    command: commandLine(node.args),
    heredocs: node.heredocs,
    mounts: flags.values.mount,
    ...(flags.values.mount.length > 0
      ? { mountSpans: node.flags.filter((f) => f.name === 'mount').map((f) => f.span) }
      : {}),
    network,
    security,
  };
}

/** CMD ["app"] | CMD app — `CMD []` is an empty exec form, a bare `CMD` an empty shell script. */
export function cmd(node: Node): CmdInstruction {
  parseFlags(node, 'CMD');
  return { kind: 'CMD', ...base(node), command: commandLine(node.args) };
}

/** ENTRYPOINT ["app"] | ENTRYPOINT app — a bare ENTRYPOINT is accepted, like a bare CMD. */
export function entrypoint(node: Node): EntrypointInstruction {
  parseFlags(node, 'ENTRYPOINT');
  return { kind: 'ENTRYPOINT', ...base(node), command: commandLine(node.args) };
}

/** SHELL ["bash", "-c"] — JSON only, and not empty; `SHELL bash -c` is an error, not a shell form. */
export function shell(node: Node): ShellInstruction {
  parseFlags(node, 'SHELL');
  const words = argWords(node.args);
  if (words.length === 0) throw atLeastOne(node, 'SHELL');
  if (node.args.kind !== 'json') {
    throw new DockerfileError(
      'NOT_JSON',
      'SHELL requires the arguments to be in JSON form',
      words[0]!.span,
      {
        hint: `write SHELL ${JSON.stringify(words[0]!.value.split(/\s+/))}`,
      },
    );
  }
  return { kind: 'SHELL', ...base(node), argv: node.args.items };
}
