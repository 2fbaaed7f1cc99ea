/**
 * Run `task(0)` … `task(count - 1)` with at most `limit` of them at a time,
 * each worker taking the next index as it finishes one. Results go where the
 * task puts them (an array by index keeps their order). Rejects with the
 * first failure, as Promise.all does; workers already running finish theirs.
 *
 * @example
 *   const out = new Array(files.length);
 *   await eachConcurrently(files.length, 16, async (i) => { out[i] = await readFile(files[i]); });
 */
export async function eachConcurrently(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
