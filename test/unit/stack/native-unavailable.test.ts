import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSandboxError } from '../../../scripts/core/errors.ts';
import { statusDocument } from '../../../scripts/runtime/control-api.ts';
import { findBinary } from '../../../scripts/runtime/native/binaries.ts';
import { NativeRuntime } from '../../../scripts/runtime/native/native-runtime.ts';
import { PidRegistry } from '../../../scripts/runtime/processes/pid-registry.ts';
import type { StackPlan } from '../../../scripts/runtime/types.ts';
import { findStackComponent } from '../../../scripts/stack/catalog.ts';
import type { StackComponentSpec } from '../../../scripts/stack/types.ts';

// The real catalog specs against this machine's real PATH: Grafana, Loki and Tempo have no
// Debian package and LocalStack has no native binary at all, so here they are all missing. Where
// a developer has one installed, it is left out (this test must never start anything).
const backends = ['grafana', 'loki', 'tempo', 'localstack'].map((n) => findStackComponent(n)!);
const missing = backends.filter((c) => c.dockerOnly || !findBinary(c.binaries));
if (missing.length < backends.length) {
  console.log(`native-unavailable: ${backends.length - missing.length} backend(s) installed here, checking only ${missing.map((c) => c.name).join(', ')}`);
}

function setup(components: readonly StackComponentSpec[]) {
  const dir = mkdtempSync(join(tmpdir(), 'native-unavailable-'));
  const registry = new PidRegistry(join(dir, 'pids'));
  const runtime = new NativeRuntime(registry, 'unit');
  const plan: StackPlan = {
    components,
    hostPort: (c, p) => components.find((x) => x.name === c)!.ports[p]! + 30_000,
    configDir: (c) => join(dir, 'config', c),
    dataDir: (c) => join(dir, 'data', c),
    logFile: (c) => join(dir, 'logs', `${c}.log`),
    labels: {},
  };
  return { runtime, registry, plan };
}

describe('native runtime with components left out (--without)', () => {
  it('reports a left-out component unavailable, says it does not run, and starts nothing for it, installed or not', async () => {
    // The blackbox exporter is installed on CI machines: leaving it out must still start nothing.
    const blackbox = findStackComponent('blackbox-exporter')!;
    const { runtime, registry, plan } = setup([blackbox, ...missing]);
    const leftOut = new Set(['blackbox-exporter', ...missing.map((c) => c.name)]);
    await runtime.prepare({ ...plan, leftOut });
    expect(runtime.runs('blackbox-exporter')).toBe(false);
    const status = await runtime.start({ ...plan, leftOut });
    for (const s of status) expect(s).toMatchObject({ state: 'unavailable', reason: 'left out (--without or SANDBOX_WITHOUT)' });
    expect(registry.entries()).toEqual([]);
    await runtime.stop();
  });
});

describe('native runtime without the observability backends', () => {
  it('reports each missing optional backend as unavailable, with the reason and how to get it, and starts nothing', async () => {
    const { runtime, registry, plan } = setup(missing);
    const status = await runtime.start(plan);
    expect(status.map((s) => s.name).sort()).toEqual(missing.map((c) => c.name).sort());
    for (const c of missing) {
      const s = status.find((x) => x.name === c.name)!;
      expect(s.state, c.name).toBe('unavailable');
      expect(s.hint).toBe(c.installHint);
      expect(s.reason).toBe(c.dockerOnly ? 'no native binary exists: docker runtime only' : `no ${c.binaries.join(' or ')} binary on PATH`);
      expect(s.url).toBeUndefined();
    }
    expect(registry.entries()).toEqual([]);
    await runtime.stop();
  });

  it('keeps them in `status --json`, between the stack and the supervised processes, never dropped', async () => {
    const { runtime, plan } = setup(missing);
    await runtime.start(plan);
    const doc = statusDocument({ runtime: 'native', session: 's', supervisor: { status: () => [] } as never, stackStatus: () => runtime.status() });
    expect(doc.components.filter((c) => c.state === 'unavailable').map((c) => c.name).sort()).toEqual(missing.map((c) => c.name).sort());
    // The contract's shape: JSON with name and state.
    expect(JSON.parse(JSON.stringify(doc)).components[0]).toMatchObject({ name: expect.any(String), state: 'unavailable' });
  });

  it('says LocalStack runs only in docker, even if something called localstack is on PATH', async () => {
    const localstack = findStackComponent('localstack')!;
    const { runtime, plan } = setup([{ ...localstack, binaries: ['sh'] }]);
    const [s] = await runtime.start(plan);
    expect(s).toMatchObject({ name: 'localstack', state: 'unavailable', reason: 'no native binary exists: docker runtime only' });
    expect(s!.hint).toMatch(/docker runtime/);
  });

  it('still fails for a missing required component, with the optional ones reported alongside', async () => {
    const required: StackComponentSpec = { ...findStackComponent('alertmanager')!, binaries: ['no-such-alertmanager-binary'] };
    const { runtime, plan } = setup([required, ...missing]);
    const e = await runtime.start(plan).catch((x: unknown) => x);
    expect(isSandboxError(e) && e.code).toBe('BINARY_MISSING');
    expect(isSandboxError(e) && e.message).toMatch(/needs alertmanager\b/);
    expect(isSandboxError(e) && e.message).not.toMatch(/grafana|loki|tempo|localstack/);
    expect(runtime.status().map((s) => [s.name, s.state])).toEqual([required, ...missing].map((c) => [c.name, 'unavailable']));
  });
});
