import type { StatusDocument } from '../runtime/control-api.ts';
import type { ComponentStatus } from '../runtime/types.ts';
import { STACK_USER } from '../stack/stack-auth.ts';

const useColor = () => process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);

const stateColor: Record<ComponentStatus['state'], number> = { ready: 32, starting: 33, unavailable: 90, failed: 31, stopped: 90 };

/** The table `up` and `status` print: where everything is and in what state (and, given session.json, how to log in). */
export function statusTable(doc: StatusDocument, sessionFile?: string): string {
  return [componentTable(doc), ...(sessionFile ? loginNote(doc, sessionFile) : [])].join('\n');
}

/** Alertmanager's page asks for a login: say which, where it runs (an attached one is the team's). */
function loginNote(doc: StatusDocument, sessionFile: string): string[] {
  const am = doc.components.find((c) => c.name === 'alertmanager');
  if (doc.runtime === 'attached' || am?.state !== 'ready') return [];
  return [`  Alertmanager's login: user ${STACK_USER}, password the session token (chaosToken in ${sessionFile})`];
}

function componentTable(doc: StatusDocument): string {
  const rows = doc.components.map((c) => [c.name, paint(stateColor[c.state], c.state), c.url ?? '', c.reason ? `${c.reason}${c.hint ? ` — ${c.hint}` : ''}` : '']);
  const width = (i: number) => Math.max(...rows.map((r) => stripAnsi(r[i]!).length), 0);
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - stripAnsi(s).length));
  return rows.map((r) => `  ${pad(r[0]!, width(0))}  ${pad(r[1]!, width(1))}  ${pad(r[2]!, width(2))}  ${r[3]}`.trimEnd()).join('\n');
}

/** One line for the live status in the foreground. */
export function statusLine(doc: StatusDocument): string {
  const counts = new Map<string, number>();
  for (const c of doc.components) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  const bad = doc.components.filter((c) => c.state === 'failed' || c.state === 'stopped').map((c) => `${c.name} ${c.state}`);
  const restarts = doc.components.reduce((n, c) => n + (c.restarts ?? 0), 0);
  return `${new Date().toISOString().slice(11, 19)}  ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}${restarts ? `, ${restarts} restarts` : ''}${bad.length ? `  (${bad.join(', ')})` : ''}`;
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
