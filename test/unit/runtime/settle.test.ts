import { describe, expect, it } from 'vitest';
import { allSettledOrThrow } from '../../../scripts/core/settle.ts';

describe('allSettledOrThrow (start paths)', () => {
  it('rejects only after every sibling has finished, so cleanup never races a start still in flight', async () => {
    let siblingDone = false;
    const fastFailure = Promise.reject(new Error('ml-service failed to start'));
    const slowSibling = new Promise<void>((r) => setTimeout(() => ((siblingDone = true), r()), 50));
    await expect(allSettledOrThrow([fastFailure, slowSibling])).rejects.toThrow('ml-service failed to start');
    expect(siblingDone).toBe(true);
  });

  it('gives the first rejection in input order and the values in order when all succeed', async () => {
    await expect(allSettledOrThrow([Promise.resolve(1), Promise.reject(new Error('a')), Promise.reject(new Error('b'))])).rejects.toThrow('a');
    await expect(allSettledOrThrow([Promise.resolve(1), Promise.resolve(2)])).resolves.toEqual([1, 2]);
  });
});
