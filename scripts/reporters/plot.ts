import type { ScenarioResult } from '../scenario/result.ts';
import { escapeXml } from './escape.ts';
import { seconds } from './format.ts';
import { plotModel, type PlotModel, type Window } from './plot-model.ts';

/**
 * One scenario's timeline as inline SVG: one lane per thing that has a state over time (load,
 * each fault, each alert) or happens at a moment (notifications per receiver, remediation
 * actions, process exits/starts per service), all on one time axis. Every shape carries a
 * <title>, so hovering explains it without any script.
 */

const W = 1000;
const LABEL_W = 210;
const PAD_R = 20;
const AXIS_H = 30;
const LANE_H = 26;
const BOTTOM = 18; // room for the target labels under the lanes

export const plotColors = {
  load: '#9ec5fe',
  fault: '#8e44ad',
  pending: '#f1c40f',
  firing: '#e74c3c',
  resolved: '#27ae60',
  notifyFiring: '#2471a3',
  notifyResolved: '#27ae60',
  exit: '#c0392b',
  start: '#27ae60',
  target: '#e67e22',
  band: '#16a085',
} as const;

const remediationColor: Record<string, string> = {
  started: '#5dade2',
  succeeded: '#27ae60',
  failed: '#c0392b',
  skipped: '#95a5a6',
  'dry-run': '#95a5a6',
};

interface Lane {
  label: string;
  title: string;
  shapes: (y: number) => string[];
}

export function renderTimelinePlot(result: ScenarioResult): string {
  const model = plotModel(result.timeline);
  if (result.timeline.length === 0) return '<p class="empty">No timeline events were recorded.</p>';
  const marks = referenceMarks(result, model);
  const t0 = model.start;
  const t1 = Math.max(model.end, ...marks.map((m) => m.end), t0 + 1);
  const x = (t: number) => LABEL_W + ((t - t0) / (t1 - t0)) * (W - LABEL_W - PAD_R);
  const lanes = buildLanes(model, x);
  const height = AXIS_H + lanes.length * LANE_H + BOTTOM;
  const plotBottom = AXIS_H + lanes.length * LANE_H;

  const out: string[] = [
    `<svg class="timeline-plot" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${escapeXml(`timeline of ${result.name}`)}" font-family="system-ui, sans-serif" font-size="12">`,
  ];
  // Lane backgrounds first, so grid lines and shapes draw over them.
  lanes.forEach((_, i) => {
    if (i % 2 === 0) out.push(`<rect x="0" y="${AXIS_H + i * LANE_H}" width="${W}" height="${LANE_H}" fill="#f4f6f8"/>`);
  });
  for (const tick of ticks(t0, t1)) {
    const tx = x(tick).toFixed(1);
    out.push(`<line x1="${tx}" y1="${AXIS_H - 4}" x2="${tx}" y2="${plotBottom}" stroke="#d5dbe1" stroke-width="1"/>`);
    out.push(`<text x="${tx}" y="${AXIS_H - 10}" text-anchor="middle" fill="#555">${escapeXml(seconds(tick))}</text>`);
  }
  for (const m of marks) out.push(...m.draw(x, plotBottom));
  lanes.forEach((lane, i) => {
    const y = AXIS_H + i * LANE_H;
    out.push(`<text class="lane-label" x="8" y="${y + LANE_H / 2 + 4}" fill="#222"><title>${escapeXml(lane.title)}</title>${escapeXml(truncate(lane.label, 32))}</text>`);
    out.push(...lane.shapes(y));
  });
  out.push(`<line x1="${LABEL_W}" y1="${AXIS_H}" x2="${LABEL_W}" y2="${plotBottom}" stroke="#888"/>`);
  out.push('</svg>');
  return out.join('\n');
}

function buildLanes(model: PlotModel, x: (t: number) => number): Lane[] {
  const lanes: Lane[] = [];
  const bar = (cls: string, w: Window, y: number, fill: string, title: string, extra = '') => {
    const x1 = x(w.start);
    const width = Math.max(2, x(w.end) - x1);
    // An open window runs past the end of what was observed: a dashed edge says so.
    const open = w.open ? ' stroke="#333" stroke-dasharray="4 3"' : '';
    return `<rect class="${cls}"${extra} x="${x1.toFixed(1)}" y="${y + 5}" width="${width.toFixed(1)}" height="${LANE_H - 10}" rx="3" fill="${fill}"${open}><title>${escapeXml(title)}</title></rect>`;
  };
  const span = (w: Window) => `${seconds(w.start)} → ${w.open ? 'still active at the end' : seconds(w.end)}`;

  for (const w of model.load) {
    const done = w.sent === null ? '' : `, ${w.sent} sent, ${w.failed} failed`;
    lanes.push({ label: `load ${w.rate} req/s`, title: `load at ${w.rate} req/s${done}`, shapes: (y) => [bar('load-window', w, y, plotColors.load, `load ${w.rate} req/s: ${span(w)}${done}`)] });
  }
  for (const f of model.faults) {
    const what = `${f.fault} on ${f.service}`;
    const why = f.reason ? ` (${f.reason})` : '';
    lanes.push({
      label: `fault: ${what}`,
      title: `fault ${what}, id ${f.id}`,
      shapes: (y) => [bar('fault-window', f, y, plotColors.fault, `fault ${what}: ${span(f)}${why}`, ` data-fault-id="${escapeXml(f.id)}" fill-opacity="0.75"`)],
    });
  }
  for (const a of model.alerts) {
    const labelText = Object.entries(a.labels).map(([k, v]) => `${k}="${v}"`).join(', ');
    const service = a.labels.service ? ` {${a.labels.service}}` : '';
    lanes.push({
      label: `alert: ${a.alert}${service}`,
      title: `${a.alert} {${labelText}}`,
      shapes: (y) => [
        ...a.spans.map((s) => bar(`alert-span alert-${s.state}`, s, y, plotColors[s.state], `${a.alert} ${s.state}: ${span(s)}`, ` data-alert="${escapeXml(a.alert)}"`)),
        ...a.resolvedAt.map(
          (t) => `<rect class="alert-resolved" data-alert="${escapeXml(a.alert)}" x="${(x(t) - 1.5).toFixed(1)}" y="${y + 3}" width="3" height="${LANE_H - 6}" fill="${plotColors.resolved}"><title>${escapeXml(`${a.alert} resolved at ${seconds(t)}`)}</title></rect>`,
        ),
      ],
    });
  }
  for (const [receiver, events] of model.notifications) {
    lanes.push({
      label: `notify: ${receiver}`,
      title: `notifications delivered to ${receiver}`,
      shapes: (y) =>
        events.map(
          (e) =>
            `<circle class="notification" cx="${x(e.t).toFixed(1)}" cy="${y + LANE_H / 2}" r="5" fill="${e.status === 'firing' ? plotColors.notifyFiring : plotColors.notifyResolved}" stroke="#fff"><title>${escapeXml(`${seconds(e.t)}: ${e.detail}`)}</title></circle>`,
        ),
    });
  }
  if (model.remediations.length) {
    lanes.push({
      label: 'remediation',
      title: 'remediation controller actions',
      shapes: (y) =>
        model.remediations.map((e) => {
          const cx = x(e.t);
          const cy = y + LANE_H / 2;
          const d = `M${cx.toFixed(1)} ${cy - 7}L${(cx + 7).toFixed(1)} ${cy}L${cx.toFixed(1)} ${cy + 7}L${(cx - 7).toFixed(1)} ${cy}Z`;
          return `<path class="remediation remediation-${escapeXml(e.result)}" d="${d}" fill="${remediationColor[e.result] ?? '#555'}" stroke="#fff"><title>${escapeXml(`${seconds(e.t)}: ${e.detail}`)}</title></path>`;
        }),
    });
  }
  for (const [service, events] of model.processes) {
    lanes.push({
      label: `process: ${service}`,
      title: `${service} process exits and starts`,
      shapes: (y) =>
        events.map((e) => {
          const cx = x(e.t);
          const cy = y + LANE_H / 2;
          const title = `<title>${escapeXml(`${seconds(e.t)}: ${e.detail}`)}</title>`;
          if (e.kind === 'process-exit') {
            const p = (dx: number, dy: number) => `${(cx + dx).toFixed(1)} ${cy + dy}`;
            return `<path class="process-exit" d="M${p(-5, -5)}L${p(5, 5)}M${p(5, -5)}L${p(-5, 5)}" stroke="${plotColors.exit}" stroke-width="3" stroke-linecap="round">${title}</path>`;
          }
          return `<path class="process-start" d="M${cx.toFixed(1)} ${cy - 6}L${(cx + 6).toFixed(1)} ${cy + 5}L${(cx - 6).toFixed(1)} ${cy + 5}Z" fill="${plotColors.start}">${title}</path>`;
        }),
    });
  }
  return lanes;
}

interface Mark {
  end: number;
  draw: (x: (t: number) => number, bottom: number) => string[];
}

/**
 * Vertical references counted from the first fault, as the metrics are: the detection
 * floor–ceiling band and the MTTD/MTTR targets. They show at a glance whether a miss was the
 * monitoring's fault or an impossible target.
 */
function referenceMarks(result: ScenarioResult, model: PlotModel): Mark[] {
  const origin = model.origin;
  if (origin === null) return [];
  const marks: Mark[] = [];
  const { detectionFloorSeconds: floor, detectionCeilingSeconds: ceiling } = result.metrics;
  if (floor !== null && ceiling !== null) {
    marks.push({
      end: origin + ceiling,
      draw: (x, bottom) => [
        `<rect class="detection-band" x="${x(origin + floor).toFixed(1)}" y="${AXIS_H}" width="${Math.max(1, x(origin + ceiling) - x(origin + floor)).toFixed(1)}" height="${bottom - AXIS_H}" fill="${plotColors.band}" fill-opacity="0.12"><title>${escapeXml(`detection floor ${seconds(floor)} – ceiling ${seconds(ceiling)} after the fault`)}</title></rect>`,
      ],
    });
  }
  const target = (name: string, value: number | null) => {
    if (value === null) return;
    marks.push({
      end: origin + value,
      draw: (x, bottom) => {
        const at = x(origin + value);
        const tx = at.toFixed(1);
        // Near the right edge the label goes to the left of its line, so it is not clipped.
        const side = at > W - 90 ? 'dx="-3" text-anchor="end"' : 'dx="3"';
        return [
          `<line class="target-line" x1="${tx}" y1="${AXIS_H}" x2="${tx}" y2="${bottom}" stroke="${plotColors.target}" stroke-width="1.5" stroke-dasharray="6 4"><title>${escapeXml(`${name} target: ${seconds(value)} after the fault`)}</title></line>`,
          `<text x="${tx}" y="${bottom + 13}" ${side} fill="${plotColors.target}" font-size="10">${escapeXml(name)}</text>`,
        ];
      },
    });
  };
  target('MTTD target', result.targets.mttdSeconds);
  target('MTTR target', result.targets.mttrSeconds);
  return marks;
}

/** Round tick steps (1, 2, 5 × 10^k), about eight of them across the axis. */
export function ticks(start: number, end: number): number[] {
  const raw = (end - start) / 8;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end + 1e-9; t += step) out.push(Math.round(t * 1000) / 1000);
  return out;
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
