/**
 * Waiting for something to happen without betting on how long it takes: poll
 * until `check` holds. No deadline of its own — the test's timeout bounds it —
 * so a loaded CI machine waits longer instead of failing an assertion made
 * after an arbitrary number of seconds.
 */
export async function until(check: () => boolean | Promise<boolean>, everyMs = 50): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}
