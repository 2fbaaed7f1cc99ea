/**
 * `tsbuild debug [OPTIONS] CONTAINER [COMMAND] [ARG...]` (api/debug.ts): a
 * shell, or COMMAND, in a stopped container as it was left — the command a
 * failed build prints last. Input is always attached; a terminal is given
 * when ours is one (in and out), as `docker run -it` would. The exit status is
 * the command's; 125 for an error of tsbuild's own, 126/127 as docker run.
 */
import type { Readable, Writable } from 'node:stream';
import { debug } from '../api/debug.js';
import { foreground } from './foreground.js';
import type { Io } from './io.js';
import { didYouMean } from './suggest.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild debug [OPTIONS] CONTAINER [COMMAND] [ARG...]

Run a command (default: sh) in a stopped container, as it was left: a failed
build step kept to debug, or a container whose process ended. Its files, its
environment, working directory and user are the step's; what the command
changes stays in the container (commit it, or rm it).

Options:
  -t, --tty        Allocate a pseudo-TTY (default: when input and output are terminals)
  -T, --no-tty     Do not allocate one
      --root string  The store's directory (default: $TSBUILD_ROOT, else $XDG_DATA_HOME/tsbuild)
      --help       Print this help
`);

export async function debugCommand(argv: string[], io: Io): Promise<number> {
  let root: string | undefined;
  let tty: boolean | undefined;
  let at = 0;
  // Options end at the container, as docker run's end at the image.
  for (; at < argv.length && argv[at]!.startsWith('-') && argv[at] !== '-'; at++) {
    const a = argv[at]!;
    if (a === '--help') {
      io.stdout.write(HELP);
      return 0;
    } else if (a === '-t' || a === '--tty') tty = true;
    else if (a === '-T' || a === '--no-tty') tty = false;
    else if (a === '--root' && at + 1 < argv.length) root = argv[++at];
    else if (a.startsWith('--root=')) root = a.slice('--root='.length);
    else if (a === '--root') return usage(io, 'flag needs an argument: --root');
    else if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0]!;
      const known = ['tty', 'no-tty', 'root', 'help'];
      return usage(io, `unknown flag: --${name}${didYouMean(name, known, '--')}`);
    } else return usage(io, `unknown shorthand flag: '${a[1]}' in ${a}`);
  }
  const [container, ...command] = argv.slice(at);
  if (container === undefined) return usage(io, '"tsbuild debug" requires at least 1 argument.');
  const stdin = io.stdin as Readable & { isTTY?: boolean };
  const stdout = io.stdout as Writable & { isTTY?: boolean };
  const terminal = tty ?? (stdin.isTTY === true && stdout.isTTY === true);
  if (terminal && !stdin.isTTY) {
    io.stderr.write('the input device is not a TTY\n');
    return 1;
  }
  const d = debug({
    ...(root !== undefined ? { root } : {}),
    env: io.env,
    container,
    command,
    tty: terminal,
    stdin,
    stdout,
    stderr: io.stderr as Writable,
  });
  return foreground(d, io, stdin);
}

function usage(io: Io, message: string): number {
  io.stderr.write(`tsbuild: ${message}\nSee 'tsbuild debug --help'.\n`);
  return 125;
}
