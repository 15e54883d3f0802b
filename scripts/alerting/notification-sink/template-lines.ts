import type { AlertStatus, DeliveredAlert } from './types.ts';

/**
 * Parser for the lines compose/alertmanager/templates/sandbox.tmpl ("sandbox.alerts.text")
 * renders, one per alert, each followed by its summary indented by two spaces:
 *
 *   [firing] ServiceDown service="ml-service" severity="critical"
 *     ml-service has been unreachable for 15s
 *
 * Label values (and an alertname that is not a plain token) are Go-quoted with printf "%q".
 * Lines that are not alert lines (summaries, anything a human added) are ignored.
 */

const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
const LINE = new RegExp(String.raw`^\[(firing|resolved)\] (${QUOTED}|[^\s"]+)((?: [A-Za-z_][A-Za-z0-9_]*=${QUOTED})*)\s*$`);
const PAIR = new RegExp(String.raw` ([A-Za-z_][A-Za-z0-9_]*)=(${QUOTED})`, 'g');

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** Undo Go's strconv.Quote (what printf "%q" does to a string). Input includes the quotes. */
export function unquoteGo(quoted: string): string {
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === len) {
        out += e === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
        i += len;
      } else {
        out += `\\${e}`;
      }
    } else if (/[0-7]/.test(e) && /^[0-7]{3}$/.test(body.slice(i, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else {
      out += `\\${e}`;
    }
  }
  return out;
}

/** One alert line, or undefined when the line is not one. */
export function parseAlertLine(line: string): DeliveredAlert | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const status = m[1] as AlertStatus;
  const alertname = m[2]!.startsWith('"') ? unquoteGo(m[2]!) : m[2]!;
  const labels: Record<string, string> = { alertname };
  for (const p of m[3]!.matchAll(PAIR)) labels[p[1]!] = unquoteGo(p[2]!);
  return { alertname, status, labels };
}

/** Every alert line in a text (Slack text, a PagerDuty custom detail). */
export function parseAlertLines(text: string): DeliveredAlert[] {
  const alerts: DeliveredAlert[] = [];
  for (const line of text.split(/\r?\n/)) {
    const a = parseAlertLine(line);
    if (a) alerts.push(a);
  }
  return alerts;
}
