import { describe, expect, it } from 'vitest';
import { belongsToRun, RUN_LABEL } from '../../../scripts/core/labels.ts';

describe('belongsToRun', () => {
  it('tells an alert of another scenario run from one of the run under way', () => {
    expect(belongsToRun({ alertname: 'X', [RUN_LABEL]: 'a-1' }, 'a-1')).toBe(true);
    expect(belongsToRun({ alertname: 'X', [RUN_LABEL]: 'a-0' }, 'a-1')).toBe(false);
  });
  it('keeps alerts without a run label, and every alert when no run is set', () => {
    expect(belongsToRun({ alertname: 'X' }, 'a-1')).toBe(true);
    expect(belongsToRun({ alertname: 'X', [RUN_LABEL]: 'a-0' }, null)).toBe(true);
  });
});
