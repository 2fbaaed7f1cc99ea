/**
 * The fixture most registry tests share: a loopback registry
 * (test/setup/registry.ts) and a store holding `busybox:latest`, made before
 * the file's (or the describe's) tests and the registry stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { startRegistry, type Registry, type RegistryOptions } from '../setup/registry.js';
import { storeWithBusybox } from '../build/harness.js';

export interface RegistryLab {
  /** The running registry. */
  readonly reg: Registry;
  /** A store root with `busybox:latest` imported (machine A, the one that pushes). */
  readonly root: string;
}

/**
 * Registers the beforeAll that starts the registry and fills the store, and
 * the afterAll that stops it, in the suite it is called in. Hooks registered
 * after it run after it (vitest runs beforeAll hooks in order), so a file can
 * push its base image in a beforeAll of its own. The fields are getters:
 * read them in hooks and tests, not while the file is being collected.
 *
 * @example
 *   const lab = useRegistryWithBusybox({ auth: 'htpasswd' });
 *   it('pushes', async () => {
 *     const ref = `${lab.reg.host}/x/bb:1`;
 *     await tag({ root: lab.root, source: 'busybox:latest', target: ref });
 *   });
 */
export function useRegistryWithBusybox(opts: RegistryOptions = {}): RegistryLab {
  let reg: Registry | undefined;
  let root: string | undefined;
  beforeAll(async () => {
    reg = await startRegistry(opts);
    root = await storeWithBusybox();
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is read before its beforeAll has run`);
    return value;
  };
  return {
    get reg() {
      return ready(reg, 'useRegistryWithBusybox().reg');
    },
    get root() {
      return ready(root, 'useRegistryWithBusybox().root');
    },
  };
}
