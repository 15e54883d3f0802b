/**
 * The controller's safety rules as pure functions over explicit state and an injected clock:
 * cooldown and max attempts per key (playbook, service, action, phase), and idempotence on
 * Alertmanager resends (same fingerprint and startsAt).
 */
export interface SafetyLimits {
  cooldown: number; // ms
  maxAttempts: number;
  window: number; // ms
}

export interface KeyState {
  /** Start times (ms) of attempts, oldest first. */
  attempts: number[];
  /** Alert instances (fingerprint|startsAt) that caused an attempt, with its start time. */
  handled: Map<string, number>;
  /** Attempts under way. */
  running: number;
}

export type SkipReason = 'duplicate' | 'cooldown' | 'in-progress' | 'max-attempts';
export type Decision = { run: true } | { run: false; reason: SkipReason; detail: string };

export function emptyKeyState(): KeyState {
  return { attempts: [], handled: new Map(), running: 0 };
}

/** An alert instance as Alertmanager identifies it across resends. */
export function alertInstance(fingerprint: string, startsAt: string): string {
  return `${fingerprint}|${startsAt}`;
}

export function actionKey(playbook: string, service: string, action: string, phase: 'firing' | 'resolved'): string {
  return `${playbook}|${service}|${action}|${phase}`;
}

/** Whether an attempt for `instance` may start at `now`; never changes the state. */
export function decide(state: KeyState, instance: string, now: number, limits: SafetyLimits): Decision {
  const last = state.attempts.at(-1);
  const handledAt = state.handled.get(instance);
  if (handledAt !== undefined && now - handledAt < limits.cooldown) {
    return { run: false, reason: 'duplicate', detail: `the same alert (fingerprint and startsAt) was acted on ${seconds(now - handledAt)} ago` };
  }
  if (last !== undefined && now - last < limits.cooldown) {
    return { run: false, reason: 'cooldown', detail: `last attempt ${seconds(now - last)} ago; cooldown ${seconds(limits.cooldown)}` };
  }
  if (state.running > 0) return { run: false, reason: 'in-progress', detail: 'an attempt is still running' };
  const recent = state.attempts.filter((t) => now - t < limits.window).length;
  if (recent >= limits.maxAttempts) {
    return { run: false, reason: 'max-attempts', detail: `${recent} attempts in the last ${seconds(limits.window)} (max ${limits.maxAttempts}); a human should take over` };
  }
  return { run: true };
}

/** State after an attempt starts; attempts older than the window are forgotten. */
export function started(state: KeyState, instance: string, now: number, limits: SafetyLimits): KeyState {
  const keep = Math.max(limits.window, limits.cooldown);
  const handled = new Map([...state.handled].filter(([, t]) => now - t < keep));
  handled.set(instance, now);
  return { attempts: [...state.attempts.filter((t) => now - t < keep), now], handled, running: state.running + 1 };
}

export function finished(state: KeyState): KeyState {
  return { ...state, running: Math.max(0, state.running - 1) };
}

/** Holds the state per key; the clock is injected so tests control time. */
export class SafetyGate {
  private readonly states = new Map<string, KeyState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Decides and, when it may run, marks the attempt started in the same step (no race). */
  tryStart(key: string, instance: string, limits: SafetyLimits): Decision {
    const state = this.states.get(key) ?? emptyKeyState();
    const now = this.now();
    const decision = decide(state, instance, now, limits);
    if (decision.run) this.states.set(key, started(state, instance, now, limits));
    return decision;
  }

  finish(key: string): void {
    const state = this.states.get(key);
    if (state) this.states.set(key, finished(state));
  }

  reset(): void {
    this.states.clear();
  }
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? `${Math.round(s * 10) / 10}s` : `${Math.round(s / 60)}m`;
}
