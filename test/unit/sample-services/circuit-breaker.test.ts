import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type BreakerState } from '../../../sample-services/api-gateway/circuit-breaker.ts';

describe('CircuitBreaker', () => {
  let changes: BreakerState[];
  let breaker: CircuitBreaker;
  beforeEach(() => {
    vi.useFakeTimers();
    changes = [];
    breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000, onChange: (s) => changes.push(s) });
  });
  afterEach(() => vi.useRealTimers());

  it('opens after consecutive failures, half-opens after the cool-down, closes on a good trial', () => {
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false); // one trial at a time
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed trial opens it again', () => {
    for (let i = 0; i < 3; i++) breaker.failure();
    vi.advanceTimersByTime(1000);
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
  });

  it('can be pinned open or closed and handed back to automatic', () => {
    breaker.setMode('open');
    expect(breaker.allow()).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(breaker.state).toBe('open');
    breaker.setMode('closed');
    for (let i = 0; i < 10; i++) breaker.failure();
    expect(breaker.allow()).toBe(true);
    breaker.setMode('auto');
    expect(breaker.state).toBe('closed');
  });
});
