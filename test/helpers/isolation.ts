import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortOffset } from '../../scripts/engine/port-offset.ts';

/**
 * A port offset whose every sandbox port is free (for up to three --parallel shards), and a fresh
 * state dir, so test files can run sandboxes side by side (and beside a developer's own sandbox
 * on the default ports).
 */
export async function isolatedSandbox(prefix = 'sandbox-test-'): Promise<{ stateDir: string; portOffset: number; env: NodeJS.ProcessEnv }> {
  const offset = await freePortOffset({ sandboxes: 3 });
  const stateDir = mkdtempSync(join(tmpdir(), prefix));
  // Without the CI job's GITHUB_STEP_SUMMARY: the suites' own runs must not write fixture
  // tables into the summary of the job that runs them (a test that wants one sets its own).
  const { GITHUB_STEP_SUMMARY: _summary, ...inherited } = process.env;
  return { stateDir, portOffset: offset, env: { ...inherited, SANDBOX_STATE_DIR: stateDir, SANDBOX_PORT_OFFSET: String(offset), NO_COLOR: '1' } };
}
