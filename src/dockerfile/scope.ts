/**
 * The variables an instruction's words are expanded with, as BuildKit scopes
 * them:
 *
 *   ARG V=1          # before the first FROM: a global ("meta") arg, usable
 *   FROM img:$V      # in FROM lines only…
 *   ARG V            # …unless declared again in the stage, which brings in
 *   ENV V=2          # its global value; and ENV always wins over an ARG of
 *   RUN echo $V      # the same name (this RUN sees 2)
 *
 * `--build-arg` overrides a declared default; an ARG without default and
 * without a build arg is declared but unset. The platform args (TARGETOS, …)
 * are globals that always exist.
 */
import type { EnvLookup } from './expand.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The machine tsbuild runs on, in OCI terms (Node's `x64` is OCI's `amd64`). */
export function hostPlatform(): Platform {
  const arch: Record<string, [string, string?]> = {
    x64: ['amd64'],
    arm64: ['arm64'],
    arm: ['arm', 'v7'],
    ia32: ['386'],
    ppc64: ['ppc64le'],
    s390x: ['s390x'],
    riscv64: ['riscv64'],
  };
  const [architecture, variant] = arch[process.arch] ?? [process.arch];
  return variant
    ? { os: process.platform, architecture, variant }
    : { os: process.platform, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** BuildKit's automatic platform args; the build runs on and for the same platform. */
export function platformArgs(p: Platform): Map<string, string> {
  const args = new Map<string, string>();
  for (const prefix of ['BUILD', 'TARGET']) {
    args.set(`${prefix}PLATFORM`, formatPlatform(p));
    args.set(`${prefix}OS`, p.os);
    args.set(`${prefix}ARCH`, p.architecture);
    args.set(`${prefix}VARIANT`, p.variant ?? '');
  }
  return args;
}

/**
 * Build args Docker lets through to RUN without an ARG, and keeps out of the
 * image history and the cache key unless they are declared.
 */
export const PROXY_ARGS: ReadonlySet<string> = new Set(
  ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'].flatMap((n) => [
    n,
    n.toLowerCase(),
  ]),
);

/** One stage's variables: ENV from the base and the stage, ARGs declared in the stage. */
export class Scope {
  /** ENV, in order of first definition (the image config keeps that order). */
  readonly env: Map<string, string>;
  /** Declared ARGs; undefined value = declared without a value. */
  readonly args = new Map<string, string | undefined>();
  /** False when the base is an image whose ENV is not known (parse without a store). */
  readonly envKnown: boolean;

  constructor(env: Map<string, string>, envKnown: boolean) {
    this.env = env;
    this.envKnown = envKnown;
  }

  /** ENV first, then ARG: what `$NAME` means in this stage right now. */
  readonly lookup: EnvLookup = (name: string) => this.env.get(name) ?? this.args.get(name);

  /** The ARGs a RUN sees in its environment: declared, set, and not shadowed by ENV. */
  runArgs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.args) if (v !== undefined && !this.env.has(k)) out[k] = v;
    return out;
  }
}
