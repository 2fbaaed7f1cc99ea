/**
 * `tsbuild version` and `tsbuild --version`, in the shape of docker's: the
 * package's version, the git commit it was built from when the build knew it
 * (dist/build-info.json, written by `npm run build`), and the Node.js and
 * platform it runs on — what a bug report needs.
 */
import { readFileSync } from 'node:fs';
import { hostPlatform } from '../dockerfile/scope.js';
import type { Io } from './io.js';
import { parseOptions, requireArgs } from './options.js';
import { parseTemplate } from './template/index.js';
import { alignHelp } from './help-text.js';

const HELP = alignHelp(`Usage:  tsbuild version [OPTIONS]

Show the tsbuild version information

Options:
  -f, --format string   Format the output using the given Go template ({{.Version}},
                        {{.GitCommit}}, {{.NodeVersion}}, {{.Os}}, {{.Arch}}; {{json .}})
  -h, --help            Print this help
`);

export interface VersionInfo {
  Version: string;
  /** Short commit, `-dirty` when built from modified files; '' when the build did not know. */
  GitCommit: string;
  NodeVersion: string;
  Os: string;
  Arch: string;
}

/** @param buildInfo where `npm run build` wrote the commit (next to the compiled CLI). */
export function versionInfo(
  buildInfo: URL | string = new URL('../build-info.json', import.meta.url),
): VersionInfo {
  // Two levels up from src/cli/, dist/cli/ and dist/bundle/ alike.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  let commit = '';
  try {
    const info = JSON.parse(readFileSync(buildInfo, 'utf8'));
    commit = typeof info.commit === 'string' ? info.commit : '';
  } catch {
    // Run from the sources, or a build without git: the commit is not known.
  }
  const p = hostPlatform();
  return {
    Version: pkg.version,
    GitCommit: commit,
    NodeVersion: process.version,
    Os: p.os,
    Arch: p.variant ? `${p.architecture}/${p.variant}` : p.architecture,
  };
}

/** `tsbuild --version`: one line, as `docker --version` prints it. */
export function versionLine(): string {
  const v = versionInfo();
  return `tsbuild version ${v.Version}${v.GitCommit ? `, build ${v.GitCommit}` : ''}\n`;
}

export async function versionCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    format: { type: 'string', short: 'f' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  requireArgs(positionals, 0, 0, HELP);
  const v = versionInfo();
  if (values.format !== undefined) {
    io.stdout.write(`${parseTemplate(values.format).execute(v)}\n`);
    return 0;
  }
  io.stdout.write(
    [
      'tsbuild:',
      ` Version:      ${v.Version}`,
      ` Git commit:   ${v.GitCommit || 'unknown (not built from a git checkout)'}`,
      ` Node.js:      ${v.NodeVersion}`,
      ` OS/Arch:      ${v.Os}/${v.Arch}`,
      '',
    ].join('\n'),
  );
  return 0;
}
