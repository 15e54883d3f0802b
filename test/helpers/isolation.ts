import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortFree } from '../../scripts/runtime/processes/ports.ts';
import { isUsableOffset, portPlan } from '../../scripts/stack/catalog.ts';

/**
 * A port offset whose every sandbox port is free, and a fresh state dir, so test files can run
 * sandboxes side by side (and beside a developer's own sandbox on the default ports).
 */
export async function isolatedSandbox(prefix = 'sandbox-test-'): Promise<{ stateDir: string; portOffset: number; env: NodeJS.ProcessEnv }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Every port (highest base port 9402, plus up to 3 shards × 50) stays below Linux's
    // ephemeral range (32768 and up), where an outgoing connection may take a port between
    // this check and the sandbox's bind.
    const offset = 1000 + Math.floor(Math.random() * 220) * 100;
    // Not one that puts a port (its own, or a --parallel shard's) on a fetch "bad port".
    if (![0, 1, 2].every((shard) => isUsableOffset(offset + shard * 50))) continue;
    const ports = portPlan(offset).all();
    const free = await Promise.all(ports.map((p) => isPortFree(p.port)));
    if (free.every(Boolean)) {
      const stateDir = mkdtempSync(join(tmpdir(), prefix));
      // Without the CI job's GITHUB_STEP_SUMMARY: the suites' own runs must not write fixture
      // tables into the summary of the job that runs them (a test that wants one sets its own).
      const { GITHUB_STEP_SUMMARY: _summary, ...inherited } = process.env;
      return { stateDir, portOffset: offset, env: { ...inherited, SANDBOX_STATE_DIR: stateDir, SANDBOX_PORT_OFFSET: String(offset), NO_COLOR: '1' } };
    }
  }
  throw new Error('no free port offset found');
}
