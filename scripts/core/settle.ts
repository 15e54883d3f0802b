/**
 * Like Promise.all, but waits for every promise before failing with the first rejection. Start
 * paths use it: with Promise.all, the caller's cleanup would run while sibling starts are still
 * spawning, and what they spawn afterwards would outlive the cleanup as orphans.
 */
export async function allSettledOrThrow<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
