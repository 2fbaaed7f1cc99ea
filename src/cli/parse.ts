/** `tsbuild parse [-f Dockerfile] [--json] [--build-arg K=V] [--target T] [CONTEXT]` */
import { join } from 'node:path';
import { parse } from '../api/parse.js';
import { UsageError } from '../errors.js';
import type { Io } from './io.js';
import { renderParse } from './render-parse.js';
import { buildArgsFrom, readStdin } from './args.js';
import { parseOptions } from './options.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage: tsbuild parse [OPTIONS] [CONTEXT]

Parse a Dockerfile and print its instructions, warnings and stage graph.

Options:
  -f, --file string        Name of the Dockerfile (default: CONTEXT/Dockerfile; "-" reads stdin)
      --json               Print the result as JSON (stable; see README "parse output")
      --build-arg list     Set a build-time variable (K=V, or K to take it from the environment)
      --target string      The stage to build; the graph says which stages it needs
  -h, --help               Print this help
`);

export async function parseCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    file: { type: 'string', short: 'f' },
    json: { type: 'boolean' },
    'build-arg': { type: 'string', multiple: true },
    target: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`parse takes at most one CONTEXT, got ${positionals.length}\n\n${HELP}`);
  const context = positionals[0] ?? '.';
  const file = values.file ?? join(context, 'Dockerfile');
  const text = file === '-' ? await readStdin(io.stdin) : undefined;
  const result = await parse({
    path: file === '-' ? 'Dockerfile' : file,
    text,
    buildArgs: buildArgsFrom(values['build-arg'] ?? [], io.env),
    target: values.target,
  });
  io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : renderParse(result));
  return 0;
}
