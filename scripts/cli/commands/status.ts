import { allComponentNames } from '../../stack/catalog.ts';
import { connectionFrom } from '../../runtime/connection.ts';
import { controlAnswers } from '../../runtime/session.ts';
import { readSessionInfo } from '../../runtime/state.ts';
import { layoutFrom, out, type GlobalOptions } from '../context.ts';
import { statusTable } from '../format.ts';

/** `sandbox status [--json]`: what runs and where; every component stopped when nothing does. */
export async function statusCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const layout = layoutFrom(opts);
  const info = readSessionInfo(layout);
  const running = info !== null && (await controlAnswers(info.controlUrl));
  const doc = running
    ? await connectionFrom(info, layout).status()
    : { runtime: null, session: null, components: allComponentNames().map((name) => ({ name, state: 'stopped' as const })) };
  if (opts.json) {
    out(JSON.stringify({ running, ...doc }, null, 2));
  } else {
    out(running ? `sandbox running (${doc.runtime} runtime, session ${doc.session})` : 'no sandbox is running (`npm run sandbox` starts one)');
    if (running) out(statusTable(doc as Parameters<typeof statusTable>[0]));
  }
  return 0;
}
