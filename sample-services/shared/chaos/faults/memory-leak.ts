import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import type { FaultDefinition } from '../types.ts';

const UNITS: Record<string, number> = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
/** The leak stops growing here, so a forgotten fault cannot take the machine down. */
export const LEAK_CAP_BYTES = 512 * 1024 ** 2;
const TICK_MS = 100;

/** Retains `rate` bytes per second of touched memory (RSS grows, not just reservations), capped. */
export const memoryLeakFault: FaultDefinition<typeof faultParamSchemas['memory-leak']> = {
  type: 'memory-leak',
  params: faultParamSchemas['memory-leak'],
  start(params) {
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(KB|MB|GB)\/s$/.exec(params.rate)!;
    const perTick = Math.round((Number(amount) * UNITS[unit!]! * TICK_MS) / 1000);
    let retained: Buffer[] = [];
    let total = 0;
    const timer = setInterval(() => {
      if (total + perTick > LEAK_CAP_BYTES) return;
      // fill() writes every page, so the kernel really backs it (Buffer.allocUnsafe alone may not).
      retained.push(Buffer.allocUnsafe(perTick).fill(1));
      total += perTick;
    }, TICK_MS);
    return {
      stop() {
        clearInterval(timer);
        retained = [];
      },
    };
  },
};
