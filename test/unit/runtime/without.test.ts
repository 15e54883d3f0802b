import { describe, expect, it } from 'vitest';
import { caught } from '../../helpers/errors.ts';
import { parseWithout } from '../../../scripts/runtime/components.ts';

describe('--without / SANDBOX_WITHOUT', () => {
  it('takes optional components, comma-separated, from the flag before the environment', () => {
    expect([...parseWithout('grafana, loki', { SANDBOX_WITHOUT: 'tempo' })]).toEqual(['grafana', 'loki']);
    expect([...parseWithout(undefined, { SANDBOX_WITHOUT: 'tempo,localstack' })]).toEqual(['tempo', 'localstack']);
    expect(parseWithout(undefined, {}).size).toBe(0);
  });

  it('refuses an unknown name and a required component, naming the source and what may be left out', () => {
    const unknown = caught(() => parseWithout('jaeger', {}));
    expect(unknown.code).toBe('INVALID_ARGUMENT');
    expect(unknown.message).toBe('--without: "jaeger" is not a stack component');
    expect(unknown.hint).toContain('grafana');
    const required = caught(() => parseWithout(undefined, { SANDBOX_WITHOUT: 'prometheus' }));
    expect(required.message).toContain('SANDBOX_WITHOUT: prometheus cannot be left out');
    expect(required.hint).not.toContain('alertmanager');
  });
});
