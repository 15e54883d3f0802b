/**
 * Circuit breaker for calls to ml-service: opens after consecutive failures, lets one trial call
 * through after a cool-down (half-open), closes on its success. Remediation can pin it open or
 * closed and hand it back to automatic mode. (Hand-written: the libraries lack pinned states.)
 */
export type BreakerState = 'closed' | 'open' | 'half_open';
export type BreakerMode = 'auto' | 'open' | 'closed';

/** Gauge values for circuit_breaker_state. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };

export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  onChange(state: BreakerState): void;
}

export class CircuitBreaker {
  private automatic: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  mode: BreakerMode = 'auto';

  constructor(private readonly options: BreakerOptions) {}

  get state(): BreakerState {
    if (this.mode !== 'auto') return this.mode;
    if (this.automatic === 'open' && Date.now() - this.openedAt >= this.options.coolDownMs) this.set('half_open');
    return this.automatic;
  }

  /** Whether a call may go out now; in half-open only one trial at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.trialInFlight = false;
    this.failures = 0;
    if (this.mode === 'auto' && this.automatic !== 'closed') this.set('closed');
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.mode !== 'auto') return;
    if (this.automatic === 'half_open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = Date.now();
      this.set('open');
    }
  }

  setMode(mode: BreakerMode): void {
    this.mode = mode;
    if (mode === 'auto') {
      this.failures = 0;
      this.automatic = 'closed';
    }
    this.options.onChange(this.state);
  }

  private set(state: BreakerState): void {
    this.automatic = state;
    this.options.onChange(state);
  }
}
