import { describe, expect, it } from 'vitest';
import { formatMatchers, parseMatchers } from '../../../scripts/alerting/silences.ts';

describe('silence matchers', () => {
  it('parses the four amtool operators and quoted values', () => {
    expect(parseMatchers(['alertname=ServiceDown', 'service=~"ml-.*"', 'severity!=info', 'env!~dev|test'])).toEqual([
      { name: 'alertname', value: 'ServiceDown', isRegex: false, isEqual: true },
      { name: 'service', value: 'ml-.*', isRegex: true, isEqual: true },
      { name: 'severity', value: 'info', isRegex: false, isEqual: false },
      { name: 'env', value: 'dev|test', isRegex: true, isEqual: false },
    ]);
  });

  it('round-trips through the printed form', () => {
    const m = parseMatchers(['alertname=ServiceDown', 'service!~"ml-.*"']);
    expect(formatMatchers(m)).toBe('alertname="ServiceDown" service!~"ml-.*"');
    expect(parseMatchers(formatMatchers(m).split(' '))).toEqual(m);
  });

  it('names every bad matcher at once', () => {
    expect(() => parseMatchers(['ServiceDown', 'alertname=X', '1bad=y'])).toThrow(/not a label matcher: "ServiceDown", "1bad=y"/);
  });

  it('refuses a silence that would match every alert', () => {
    expect(() => parseMatchers(['alertname=~.*'])).toThrow(/every alert/);
    expect(() => parseMatchers([])).toThrow(/at least one matcher/);
  });
});
