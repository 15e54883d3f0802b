import { randomInt } from 'node:crypto';
import { seededRng, type Rng } from '../../sample-services/shared/random.ts';
import { SandboxError } from '../core/errors.ts';

/**
 * The workshop's only source of randomness: the sample services' mulberry32 PRNG. A seed
 * reproduces a whole session (scenario, quiet period, fault parameters) for a whole room.
 */
export type { Rng };
export const seededRandom: (seed: number) => Rng = seededRng;

/** A whole number in [lo, hi], both included. */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export const MAX_SEED = 2 ** 32 - 1;

export function parseSeed(raw: string | undefined): number {
  if (raw === undefined) return randomInt(0, 1_000_000);
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n > MAX_SEED) {
    throw new SandboxError('INVALID_ARGUMENT', `seed "${raw}" is not a whole number between 0 and ${MAX_SEED}`, {
      hint: 'e.g. --seed 42; the same seed gives every trainee the same incident',
    });
  }
  return n;
}
