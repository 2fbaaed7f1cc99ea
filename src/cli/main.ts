/**
 * `tsbuild COMMAND …`: picks the command, runs it, and turns what went wrong
 * into an exit code — 2 for wrong usage (as docker), 1 for anything else. A
 * stack trace is printed only for an error that is not a TsbuildError: a bug.
 */
import { DockerfileError, TsbuildError, UsageError } from '../errors.js';
import type { Io } from './io.js';
import { parseCommand } from './parse.js';

export type { Io };

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  parse: {
    run: parseCommand,
    summary: 'Parse a Dockerfile; print its instructions and stage graph',
  },
};

const USAGE = `Usage: tsbuild COMMAND [OPTIONS]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Run 'tsbuild COMMAND --help' for more information on a command.
`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(USAGE);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"\n\n${USAGE}`);
    return await command.run(rest, io);
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: Io): number {
  if (e instanceof DockerfileError) {
    io.stderr.write(`error: ${e.render()}\n`);
    return 1;
  }
  if (e instanceof UsageError) {
    io.stderr.write(`tsbuild: ${e.message}\n`);
    return 2;
  }
  if (e instanceof TsbuildError) {
    io.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  io.stderr.write(
    `tsbuild: internal error (a bug; please report it):\n${(e as Error)?.stack ?? String(e)}\n`,
  );
  return 1;
}
