/** The error `fn` throws, checked to be of `type`; fails the test if it returns or throws another kind. */
export function caught<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}, got a result`);
}
