import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import { exitSoon } from '../exit-soon.ts';
import type { FaultManager } from '../fault-manager.ts';
import type { FaultDefinition, FaultView } from '../types.ts';

/** How long each start lives before crashing; long enough to be scraped as up once or twice. */
export const CRASH_LOOP_LIFETIME_MS = 1500;
export const CRASH_LOOP_EXIT_CODE = 1;

interface LoopState {
  fault: FaultView;
  /** Crashes so far; with params.times the loop ends once this many happened. */
  crashes: number;
}

/**
 * The process exits shortly after every start until the fault is cleared, expires, or `times`
 * crashes happened. The state lives in a file so that restarted processes (whoever restarts them)
 * pick it up.
 */
export function crashLoopFault(stateDir: string, service: string): FaultDefinition<typeof faultParamSchemas['crash-loop']> {
  const file = stateFile(stateDir, service);
  return {
    type: 'crash-loop',
    params: faultParamSchemas['crash-loop'],
    start(_params, ctx) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify({ fault: ctx.fault, crashes: 1 } satisfies LoopState));
      const cancel = exitSoon(ctx.log, CRASH_LOOP_EXIT_CODE, CRASH_LOOP_LIFETIME_MS, 'fatal error: process crashed (crash loop)');
      return {
        stop() {
          cancel();
          rmSync(file, { force: true });
        },
      };
    },
  };
}

/**
 * At start: if a crash loop is recorded and still due, count this start's crash, show the fault
 * as active (so it can be listed and cleared) and crash shortly. Returns whether it will crash.
 */
export function resumeCrashLoop(stateDir: string, service: string, faults: FaultManager, log: Logger): boolean {
  const file = stateFile(stateDir, service);
  let state: LoopState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as LoopState;
  } catch {
    return false;
  }
  const times = state.fault.params.times as number | undefined;
  const expired = state.fault.expiresAt !== null && Date.parse(state.fault.expiresAt) <= Date.now();
  if (expired || (times !== undefined && state.crashes >= times)) {
    rmSync(file, { force: true });
    faults.recordEnd(state.fault, expired ? 'expired' : 'completed');
    return false;
  }
  writeFileSync(file, JSON.stringify({ ...state, crashes: state.crashes + 1 } satisfies LoopState));
  const cancel = exitSoon(log, CRASH_LOOP_EXIT_CODE, CRASH_LOOP_LIFETIME_MS, 'fatal error: process crashed (crash loop)');
  faults.resume(state.fault, {
    stop() {
      cancel();
      rmSync(file, { force: true });
    },
  });
  return true;
}

function stateFile(stateDir: string, service: string): string {
  return join(stateDir, 'chaos', `${service}.crash-loop.json`);
}
