/**
 * One line of text for an instruction, after expansion: what `tsbuild parse`
 * lists, and a canonical form (flags in a fixed order, values quoted only when
 * they must be) that does not depend on how the Dockerfile was spaced.
 *
 *   ENV a="x y"   b=c     →  ENV a="x y" b=c
 *   copy --chown=1 a  /b  →  COPY --chown=1 a /b
 */
import type { CommandLine, Instruction } from './ast.js';

const quote = (s: string) => (s === '' || /[\s"'\\$]/.test(s) ? JSON.stringify(s) : s);
const json = (list: string[]) => JSON.stringify(list);
const command = (c: CommandLine) => (c.form === 'exec' ? json(c.argv) : c.script);
const flag = (name: string, value: string | boolean | undefined) =>
  value === undefined || value === false
    ? []
    : value === true
      ? [`--${name}`]
      : [`--${name}=${value}`];

export function formatInstruction(ins: Instruction): string {
  switch (ins.kind) {
    case 'FROM':
      return join(
        'FROM',
        ...flag('platform', ins.platform),
        ins.image,
        ...(ins.stageName ? ['AS', ins.stageName] : []),
      );
    case 'RUN':
      return join(
        'RUN',
        ...ins.mounts.flatMap((m) => flag('mount', m)),
        ...flag('network', ins.network),
        ...flag('security', ins.security),
        command(ins.command),
      );
    case 'CMD':
    case 'ENTRYPOINT':
      return join(ins.kind, command(ins.command));
    case 'SHELL':
      return join('SHELL', json(ins.argv));
    case 'ENV':
    case 'LABEL':
      return join(ins.kind, ...ins.pairs.map((p) => `${quote(p.key)}=${quote(p.value)}`));
    case 'ARG':
      return join(
        'ARG',
        ...ins.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)),
      );
    case 'MAINTAINER':
      return join('MAINTAINER', ins.maintainer);
    case 'EXPOSE':
      return join('EXPOSE', ...ins.ports.map((p) => p.value));
    case 'USER':
      return join('USER', ins.user);
    case 'WORKDIR':
      return join('WORKDIR', ins.path);
    case 'VOLUME':
      return join('VOLUME', json(ins.paths.map((p) => p.value)));
    case 'STOPSIGNAL':
      return join('STOPSIGNAL', ins.signal);
    case 'COPY':
    case 'ADD':
      return join(
        ins.kind,
        ...(ins.kind === 'COPY' ? flag('from', ins.from) : []),
        ...flag('chown', ins.chown),
        ...flag('chmod', ins.chmod),
        ...flag('link', ins.link),
        ...(ins.kind === 'COPY' ? flag('parents', ins.parents) : []),
        ...(ins.kind === 'ADD'
          ? [...flag('checksum', ins.checksum), ...flag('keep-git-dir', ins.keepGitDir)]
          : []),
        ...ins.exclude.flatMap((e) => flag('exclude', e)),
        ...ins.sources.map((s) => quote(s.value)),
        ...ins.inline.map((s) => `<<${s.name}`),
        quote(ins.dest.value),
      );
    case 'ONBUILD':
      return join('ONBUILD', ins.expression);
    case 'HEALTHCHECK':
      return formatHealthcheck(ins);
  }
}

function formatHealthcheck(ins: Extract<Instruction, { kind: 'HEALTHCHECK' }>): string {
  const [type, ...rest] = ins.test;
  if (type === 'NONE') return 'HEALTHCHECK NONE';
  const dur = (ns: number) => (ns === 0 ? undefined : `${ns / 1e6}ms`);
  return join(
    'HEALTHCHECK',
    ...flag('interval', dur(ins.interval)),
    ...flag('timeout', dur(ins.timeout)),
    ...flag('start-period', dur(ins.startPeriod)),
    ...flag('start-interval', dur(ins.startInterval)),
    ...flag('retries', ins.retries === 0 ? undefined : String(ins.retries)),
    'CMD',
    type === 'CMD' ? json(rest) : (rest[0] ?? ''),
  );
}

function join(...parts: string[]): string {
  return parts.join(' ');
}
