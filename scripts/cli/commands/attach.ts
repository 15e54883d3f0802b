import { renderAttachConfig } from '../../runtime/attached/attach-config.ts';
import { ensureAttachTargetsDir } from '../../runtime/attached/targets.ts';
import { attachTokenFile } from '../../runtime/attached/token-file.ts';
import { ExitCode } from '../../core/errors.ts';
import { portPlan } from '../../stack/catalog.ts';
import { layoutFrom, out, portOffsetFrom, type GlobalOptions } from '../context.ts';

/**
 * `sandbox attach config`: the scrape jobs and Alertmanager receivers a team adds to its own
 * stack, for this state dir and port offset. Creates the targets directory, so that a
 * Prometheus started before the sandbox can watch it from the start. Every printed receiver
 * sends the session's token from the state dir's token file, which each attached start rewrites.
 */
export async function attachConfigCommand(opts: GlobalOptions): Promise<number> {
  const layout = layoutFrom(opts);
  ensureAttachTargetsDir(layout.root);
  out(renderAttachConfig({ stateDir: layout.root, ports: portPlan(portOffsetFrom(opts)), credentialsFile: attachTokenFile(layout.root) }).trimEnd());
  return ExitCode.ok;
}
