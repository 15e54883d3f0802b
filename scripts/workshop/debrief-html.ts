import { formatSeconds } from '../core/duration.ts';
import { escapeXml as esc } from '../reporters/escape.ts';
import type { Debrief } from './debrief.ts';

/**
 * debrief.html: one self-contained page (inline CSS and SVG; no scripts, fonts, images or links
 * to anything outside it) for a post-incident review: scorecard, the incident timeline as a
 * chart, and every event in a table.
 */
export function renderDebriefHtml(d: Debrief): string {
  const m = d.milestones;
  const title = `Workshop debrief: ${d.scenario} (seed ${d.seed})`;
  const row = (label: string, value: string) => `<tr><th>${esc(label)}</th><td>${esc(value)}</td></tr>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">${esc(d.description ?? '')}</p>
<p class="meta">difficulty ${esc(d.difficulty)} · remediation ${d.remediation ? 'on' : 'off'} · started ${esc(d.startedAt)} · quiet period ${esc(formatSeconds(d.quietPeriodSeconds))}${d.finished ? '' : ' · <strong>still running</strong>'}</p>
</header>
<section class="score">
<p class="total"><span>${esc(d.score.total)}</span> / ${esc(d.score.max)}</p>
<table class="milestones">
${row('Incident', d.faults.map((f) => `${f.type} on ${f.service}${paramText(f.params)}`).join('; '))}
${row('First alert', m.firstAlert ? `${m.firstAlert} at +${formatSeconds(m.firstAlertT)}` : 'none fired')}
${row('Time to acknowledge', formatSeconds(m.timeToAckSeconds))}
${row('Time to correct diagnosis', formatSeconds(m.timeToDiagnosisSeconds))}
${row('Time to recovery', formatSeconds(m.timeToRecoverySeconds))}
${row('Wrong diagnoses', String(m.wrongDiagnoses))}
${row('Hints used', m.hints.length ? `${m.hints.length} (levels ${m.hints.join(', ')})` : '0')}
</table>
<table class="deductions"><thead><tr><th>Deduction</th><th>Points</th></tr></thead><tbody>
${d.score.deductions.map((x) => `<tr><td>${esc(x.reason)}</td><td class="num">−${esc(x.points.toFixed(1))}</td></tr>`).join('\n')}
</tbody></table>
</section>
<section>
<h2>Incident timeline</h2>
${renderTimelineSvg(d)}
</section>
<section>
<h2>Events</h2>
<table class="events"><thead><tr><th>+s</th><th>UTC</th><th>Event</th></tr></thead><tbody>
${d.timeline.map((e) => `<tr class="${esc(e.kind)}"><td class="num">${esc(e.t.toFixed(1))}</td><td>${esc(e.at.slice(11, 23))}</td><td>${esc(e.detail)}</td></tr>`).join('\n')}
</tbody></table>
</section>
</body>
</html>
`;
}

function paramText(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length ? ` (${entries.map(([k, v]) => `${k} ${String(v)}`).join(', ')})` : '';
}

const COLORS = {
  fault: '#8e44ad',
  firing: '#e74c3c',
  exit: '#c0392b',
  start: '#27ae60',
  ack: '#2471a3',
  right: '#27ae60',
  wrong: '#c0392b',
  hint: '#e67e22',
  fix: '#6c3483',
  recovered: '#16a085',
  other: '#7f8c8d',
} as const;

interface Lane {
  label: string;
  shapes: string[];
}

const W = 1000;
const LABEL_W = 220;
const LANE_H = 26;
const AXIS_H = 28;

/** One lane per fault, per alert (and service), processes, the controller and the trainees. */
export function renderTimelineSvg(d: Debrief): string {
  if (d.timeline.length === 0) return '<p class="empty">No events were recorded.</p>';
  const end = Math.max(...d.timeline.map((e) => e.t), 1) + 2;
  const x = (t: number) => LABEL_W + (Math.max(0, t) / end) * (W - LABEL_W - 20);
  const lanes: Lane[] = [];
  const bar = (from: number, to: number, color: string, title: string, y: number) =>
    `<rect x="${x(from).toFixed(1)}" y="${y + 5}" width="${Math.max(2, x(to) - x(from)).toFixed(1)}" height="${LANE_H - 10}" fill="${color}" opacity="0.8"><title>${esc(title)}</title></rect>`;
  const mark = (t: number, color: string, title: string, y: number, shape: 'dot' | 'diamond' = 'dot') =>
    shape === 'dot'
      ? `<circle cx="${x(t).toFixed(1)}" cy="${y + LANE_H / 2}" r="5" fill="${color}"><title>${esc(title)}</title></circle>`
      : `<path d="M${x(t).toFixed(1)} ${y + 5} l6 8 l-6 8 l-6 -8 z" fill="${color}"><title>${esc(title)}</title></path>`;
  const deferred: ((y: number) => string[])[] = [];
  const addLane = (label: string, shapes: (y: number) => string[]) => {
    lanes.push({ label, shapes: [] });
    deferred.push(shapes);
  };

  // Faults: from injection to their end (or the end of the chart).
  const faultStarts = d.timeline.filter((e) => e.kind === 'fault-start');
  for (const fs of faultStarts) {
    if (fs.kind !== 'fault-start') continue;
    const fe = d.timeline.find((e) => e.kind === 'fault-end' && e.id === fs.id);
    addLane(`fault: ${fs.fault} on ${fs.service}`, (y) => [bar(fs.t, fe?.t ?? end, COLORS.fault, `${fs.detail} at +${fs.t}s${fe ? `; ${fe.detail} at +${fe.t}s` : ''}`, y)]);
  }
  // Alerts: firing windows per alert and service.
  const alertKeys = [...new Set(d.timeline.flatMap((e) => (e.kind === 'alert-firing' ? [`${e.alert}${e.labels.service ? ` (${e.labels.service})` : ''}`] : [])))];
  for (const key of alertKeys) {
    addLane(`alert: ${key}`, (y) => {
      const shapes: string[] = [];
      let open: number | null = null;
      for (const e of d.timeline) {
        if ((e.kind !== 'alert-firing' && e.kind !== 'alert-resolved') || `${e.alert}${e.labels.service ? ` (${e.labels.service})` : ''}` !== key) continue;
        if (e.kind === 'alert-firing' && open === null) open = e.t;
        if (e.kind === 'alert-resolved' && open !== null) {
          shapes.push(bar(open, e.t, COLORS.firing, `${key} firing +${open}s → resolved +${e.t}s`, y));
          open = null;
        }
      }
      if (open !== null) shapes.push(bar(open, end, COLORS.firing, `${key} firing since +${open}s`, y));
      return shapes;
    });
  }
  const events = (kinds: string[]) => d.timeline.filter((e) => kinds.includes(e.kind));
  const processes = events(['process-exit', 'process-start']);
  if (processes.length) addLane('processes', (y) => processes.map((e) => mark(e.t, e.kind === 'process-exit' ? COLORS.exit : COLORS.start, `+${e.t}s ${e.detail}`, y)));
  const platform = events(['notification', 'remediation']);
  if (platform.length) addLane('notifications & controller', (y) => platform.map((e) => mark(e.t, COLORS.other, `+${e.t}s ${e.detail}`, y, 'diamond')));
  const trainee = events(['ack', 'diagnose', 'hint', 'fix']);
  const color = (e: (typeof trainee)[number]) =>
    e.kind === 'ack' ? COLORS.ack : e.kind === 'hint' ? COLORS.hint : e.kind === 'fix' ? COLORS.fix : e.kind === 'diagnose' && e.correct ? COLORS.right : COLORS.wrong;
  addLane('trainees', (y) => trainee.map((e) => mark(e.t, color(e), `+${e.t}s ${e.detail}`, y)));
  const rec = events(['recovered']);
  addLane('recovery', (y) => rec.map((e) => mark(e.t, COLORS.recovered, `+${e.t}s ${e.detail}`, y, 'diamond')));

  const height = AXIS_H + lanes.length * LANE_H + 8;
  const out: string[] = [
    `<svg class="timeline" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${esc(`incident timeline of ${d.scenario}`)}" font-family="system-ui, sans-serif" font-size="12">`,
  ];
  const step = niceStep(end);
  for (let t = 0; t <= end; t += step) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${AXIS_H - 6}" y2="${height - 8}" stroke="#ddd"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${AXIS_H - 10}" text-anchor="middle" fill="#555">${t}s</text>`);
  }
  if (d.milestones.incidentStartT !== null) {
    const xi = x(d.milestones.incidentStartT).toFixed(1);
    out.push(`<line x1="${xi}" x2="${xi}" y1="${AXIS_H - 6}" y2="${height - 8}" stroke="${COLORS.fault}" stroke-dasharray="4 3"><title>incident start +${d.milestones.incidentStartT}s</title></line>`);
  }
  lanes.forEach((lane, i) => {
    const y = AXIS_H + i * LANE_H;
    out.push(`<text x="6" y="${y + LANE_H / 2 + 4}" fill="#222">${esc(lane.label)}</text>`);
    out.push(`<line x1="${LABEL_W}" x2="${W - 20}" y1="${y + LANE_H}" y2="${y + LANE_H}" stroke="#f0f0f0"/>`);
    out.push(...deferred[i]!(y));
  });
  out.push('</svg>');
  out.push(`<p class="legend">${[
    ['fault', COLORS.fault], ['alert firing', COLORS.firing], ['acknowledged', COLORS.ack], ['correct diagnosis', COLORS.right],
    ['wrong diagnosis', COLORS.wrong], ['hint', COLORS.hint], ['fix', COLORS.fix], ['recovery', COLORS.recovered],
  ].map(([name, c]) => `<span><i style="background:${c}"></i>${esc(name)}</span>`).join(' ')}</p>`);
  return out.join('\n');
}

function niceStep(span: number): number {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]) if (span / s <= 12) return s;
  return 7200;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#555;margin:.2rem 0}
.score{display:flex;gap:2rem;align-items:flex-start;flex-wrap:wrap}
.total{font-size:1.4rem;margin:0}.total span{font-size:3rem;font-weight:700}
table{border-collapse:collapse}th,td{padding:.25rem .6rem;text-align:left;border-bottom:1px solid #eee}
.num{text-align:right;font-variant-numeric:tabular-nums}
.events td{font-size:.9rem}
tr.diagnose td,tr.ack td,tr.fix td,tr.hint td{font-weight:600}
.legend span{margin-right:1rem;font-size:.85rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
.empty{color:#777}
`;
