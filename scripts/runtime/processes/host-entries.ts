import { services } from '../../stack/services.ts';
import { PROJECT_ROOT } from '../../core/paths.ts';
import { prepareHostLauncher, type HostLauncher } from './host-build.ts';
import { REAPER_ENTRY } from './reaper.ts';

/** Every TypeScript entry the sandbox starts as a process: one build serves them all. */
// Services sharing a process (the platform receivers) share its entry: listed once.
export const HOST_ENTRIES: readonly string[] = [...new Set(services.map((s) => s.entry)), REAPER_ENTRY];

/** The launcher for the sandbox's host processes (built, or tsx with a reason). */
export function prepareSandboxLauncher(env: NodeJS.ProcessEnv = process.env): Promise<HostLauncher> {
  return prepareHostLauncher(PROJECT_ROOT, HOST_ENTRIES, { env });
}
