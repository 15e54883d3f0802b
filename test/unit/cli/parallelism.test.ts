import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parallelism } from '../../../scripts/cli/commands/run.ts';

describe('how many sandboxes side by side', () => {
  it('test: one more than the cores by default (sandboxes mostly wait on rule windows), at most 3; run: one', () => {
    expect(parallelism(undefined, 'test')).toBe(Math.min(3, availableParallelism() + 1));
    expect(parallelism('auto', 'test')).toBe(Math.min(3, availableParallelism() + 1));
    expect(parallelism(undefined, 'test')).toBeGreaterThanOrEqual(2);
    expect(parallelism(undefined, 'run')).toBe(1);
    expect(parallelism('4', 'test')).toBe(4);
  });
  it('refuses what is not a whole number from 1 to 8', () => {
    for (const bad of ['0', '9', '1.5', 'many']) expect(() => parallelism(bad, 'test'), bad).toThrow(/--parallel/);
  });
});
