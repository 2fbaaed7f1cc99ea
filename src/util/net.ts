/**
 * Small URL facts that git contexts and the registry client both decide on:
 * what may go over plain http (loopback only, unless the user says so), and
 * where credentials may go (their own origin only).
 */

/** `host` (a hostname, or `host:port`) is this machine: localhost, [::1] or 127.0.0.0/8. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Same scheme, host and port; false when either is not a URL. */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
