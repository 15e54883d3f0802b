import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: every temporary directory the tests make (state dirs, reports, fake
 * binaries) goes under one root for the run, removed at its end, so a test run leaves nothing in
 * the machine's temp dir. Workers, and the CLIs and sandboxes they spawn, inherit TMPDIR.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sandbox-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
