import { allComponentNames } from '../../stack/catalog.ts';
import { connectionFrom } from '../../runtime/connection.ts';
import { inspectState, verifySession } from '../../runtime/session.ts';
import { layoutFrom, out, type GlobalOptions } from '../context.ts';
import { statusTable } from '../format.ts';

/**
 * `sandbox status [--json]`: what runs and where; every component stopped when nothing does.
 * "Running" means the recorded session itself: its host alive (pid and start time) and its
 * control API accepting the session's token and naming the session. Stale or damaged state is
 * reported (`problems`, with what was found), never mistaken for a running sandbox.
 */
export async function statusCommand(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const layout = layoutFrom(opts);
  const state = inspectState(layout);
  const problems = [...state.problems];
  let running = false;
  if (state.running) {
    const v = await verifySession(state.running);
    running = v.ok;
    if (!v.ok) problems.push(`the host (pid ${state.running.hostPid}) runs, but ${v.why}`);
  } else if (state.liveOwner) {
    problems.push(`pid ${state.liveOwner.pid} (${state.liveOwner.purpose}) owns ${layout.root} but has recorded no session${state.session.kind === 'damaged' ? ' that can be read' : ' yet (starting?)'}`);
  } else if (state.session.kind === 'ok') {
    const other = await verifySession(state.session.info);
    if (!other.ok && !/nothing answers/.test(other.why)) problems.push(other.why);
  }
  const doc =
    running && state.running
      ? await connectionFrom(state.running, layout).status()
      : { runtime: null, session: null, components: allComponentNames().map((name) => ({ name, state: 'stopped' as const })) };
  if (opts.json) {
    out(JSON.stringify({ running, ...doc, ...(problems.length > 0 ? { problems } : {}) }, null, 2));
  } else {
    out(running ? `sandbox running (${doc.runtime} runtime, session ${doc.session})` : 'no sandbox is running (`npm run sandbox` starts one)');
    if (running) out(statusTable(doc as Parameters<typeof statusTable>[0], layout.sessionFile));
    for (const p of problems) out(`problem: ${p}`);
    if (problems.length > 0) out('`npx sandbox down` stops what belongs to this state dir and cleans up');
  }
  return 0;
}
