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

/**
 * `p` (an index entry's platform) is the host's: same OS and architecture, and
 * the same variant when both name one — how images are picked from an index.
 */
export function isHostPlatform(p: Platform | undefined, host = hostPlatform()): boolean {
  return (
    p?.os === host.os &&
    p.architecture === host.architecture &&
    (!host.variant || !p.variant || p.variant === host.variant)
  );
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

/**
 * One stage's variables. BuildKit keeps ENV and valued ARGs in one
 * environment where the latest definition wins, and records only ENV in the
 * image config:
 *
 *   ENV A=env
 *   ARG A=arg      # from here on $A is "arg", and a RUN sees A=arg,
 *                  # but the image's Env still says A=env
 *
 * A stage built FROM another stage starts with that stage's variables, its
 * ARGs included.
 */
export class Scope {
  /** ENV as the image config records it, in order of first definition. */
  readonly env: Map<string, string>;
  /** Declared ARGs; undefined value = declared without one. */
  readonly args: Map<string, string | undefined>;
  /** False when the base is an image whose ENV is not known (parse without a store). */
  readonly envKnown: boolean;
  /** What `$NAME` means right now: ENV and valued ARGs, latest first. */
  private readonly vars: Map<string, string>;
  /** Names whose current value was set by an ARG, not an ENV. */
  private readonly fromArg: Set<string>;

  constructor(env: Map<string, string>, envKnown: boolean, parent?: Scope) {
    this.env = env;
    this.envKnown = envKnown;
    this.args = new Map(parent?.args);
    this.vars = new Map(parent?.vars ?? env);
    this.fromArg = new Set(parent?.fromArg);
  }

  /** A stage built FROM `parent`: its ENV, ARGs and variables, as they ended. */
  static child(parent: Scope): Scope {
    return new Scope(new Map(parent.env), parent.envKnown, parent);
  }

  setEnv(key: string, value: string): void {
    this.env.set(key, value);
    this.vars.set(key, value);
    this.fromArg.delete(key);
  }

  /** Declare an ARG; a value makes it visible to `$NAME` and to RUN, over an earlier ENV. */
  setArg(key: string, value: string | undefined): void {
    this.args.set(key, value);
    if (value === undefined) return;
    this.vars.set(key, value);
    this.fromArg.add(key);
  }

  readonly lookup = (name: string): string | undefined => this.vars.get(name);

  /** How many variables and ARGs the scope holds: what a stage built FROM it copies. */
  get size(): number {
    return this.vars.size + this.args.size + this.fromArg.size;
  }

  /** Every name `$NAME` can resolve, for "did you mean" hints. */
  names(): string[] {
    return [...this.vars.keys()];
  }

  /** The ARG values a RUN gets in its environment on top of the image's ENV. */
  runArgs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of this.fromArg) out[k] = this.vars.get(k)!;
    return out;
  }
}
