import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNBOOK_BASE_AS_WRITTEN } from '../../stack/catalog.ts';
import { writeFileAtomic } from './render.ts';

/**
 * Every alert links its runbook page as the sandbox's control API serves it
 * (`GET /runbooks/<Alert>`, readable without the session token). The rule files write the link
 * for the default control port, an absolute URL that works as written: for the default sandbox,
 * in promtool's rule tests, for a reader of the file, and for a team that loads the rules into
 * its own Prometheus next to a default sandbox. A sandbox on other ports (--port-offset) renders
 * its copy of the rule files with its own control API's address, the way monitoring mixins
 * render a runbook URL pattern: no template variable to set up, no extra label on every alert.
 */

/** `text` with every runbook link moved to the control API at `controlUrl` (e.g. http://127.0.0.1:10400). */
export function renderRunbookLinks(text: string, controlUrl: string): string {
  const base = `${controlUrl.replace(/\/+$/, '')}/runbooks/`;
  return base === RUNBOOK_BASE_AS_WRITTEN ? text : text.split(RUNBOOK_BASE_AS_WRITTEN).join(base);
}

/** Renders every rule file (*.yml, *.yaml) directly in `dir` in place. */
export function renderRunbookLinksIn(dir: string, controlUrl: string): void {
  for (const name of readdirSync(dir)) {
    if (!/\.ya?ml$/.test(name)) continue;
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    const rendered = renderRunbookLinks(text, controlUrl);
    if (rendered !== text) writeFileAtomic(file, rendered);
  }
}
