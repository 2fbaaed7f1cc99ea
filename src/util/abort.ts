/**
 * What an API taking an AbortSignal does once it is aborted: reject with the
 * signal's reason — the caller's own value, or the DOMException `AbortError`
 * (`TimeoutError` for `AbortSignal.timeout`) the platform puts there — as
 * `fetch`, `signal.throwIfAborted()` and the DOM's promise APIs do. Whatever
 * error the abort caused on the way out (a killed RUN, a cut download) is a
 * consequence, not what the caller asked about; and a caller can then tell its
 * own abort from a failure with `e === signal.reason`.
 */
export async function abortable<T>(
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  try {
    return await work();
  } catch (e) {
    // The work has settled (its clean-up done) before this rejects.
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}
