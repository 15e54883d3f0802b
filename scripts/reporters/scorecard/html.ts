import type { Spread } from '../../core/percentile.ts';
import { escapeXml as esc } from '../escape.ts';
import type { Scorecard } from './compute.ts';

const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)}%`);
const sec = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)}s`);
const spreadText = (s: Spread) => (s.samples === 0 ? '—' : `p50 ${sec(s.p50)} · p95 ${sec(s.p95)} · max ${sec(s.max)}`);

/** scorecard.html: one self-contained page (inline CSS, no scripts or links), like report.html. */
export function renderScorecardHtml(card: Scorecard): string {
  const head = card.alerts.map((a) => `<th class="rot"><span>${esc(a)}</span></th>`).join('');
  const rows = card.rows
    .map((r) => {
      const cells = card.alerts
        .map((a) => {
          const c = r.alerts[a];
          if (!c) return '<td></td>';
          const cls = c.expected ? (c.firedRuns === r.runs ? 'hit' : 'partial') : 'noise';
          const title = `${a} in ${r.scenario}: fired in ${c.firedRuns}/${r.runs} runs${c.expected ? ' (expected)' : ' (not expected)'}; MTTD ${spreadText(c.mttd)}`;
          return `<td class="${cls}" title="${esc(title)}">${c.firedRuns}/${r.runs}</td>`;
        })
        .join('');
      return `<tr><th>${esc(r.scenario)}<div class="muted">${esc(r.faults.join(', ') || 'no fault (baseline)')}</div></th><td>${r.passedRuns}/${r.runs}</td>${cells}</tr>`;
    })
    .join('\n');
  const frac = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}×`);
  const mttd = Object.entries(card.mttdByAlert)
    .map(([a, s]) => {
      const f = card.ofCeilingByAlert[a];
      return `<tr><td>${esc(a)}</td><td>${s.samples}</td><td>${sec(s.p50)}</td><td>${sec(s.p95)}</td><td>${sec(s.max)}</td><td>${f ? `${frac(f.p50)} / ${frac(f.max)}` : '—'}</td></tr>`;
    })
    .join('');
  const noise = Object.entries(card.precision.unexpected)
    .map(([a, n]) => `${esc(a)} ×${n}`)
    .join(', ');
  const fp = Object.entries(card.baseline.alerts)
    .map(([a, n]) => `${esc(a)} ×${n}`)
    .join(', ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Alert-quality scorecard</title><style>${CSS}</style></head>
<body>
<h1>Alert-quality scorecard</h1>
<p class="muted">runtime ${esc(card.runtime)} · ${card.repeat} run(s) per scenario · ${esc(card.generatedAt)}</p>
<div class="kpis">
<div><b>${pct(card.coverage.ratio)}</b>detection coverage<span>${card.coverage.detectedRuns}/${card.coverage.runs} fault runs raised every expected alert</span></div>
<div><b>${pct(card.precision.ratio)}</b>precision<span>${card.precision.expected}/${card.precision.fired} firings were expected${noise ? `; unexpected: ${noise}` : ''}</span></div>
<div><b>${card.baseline.falsePositives}</b>false positives in the baseline<span>${card.baseline.runs} baseline run(s)${fp ? `: ${fp}` : ''}</span></div>
</div>
<h2>Fault × alert</h2>
<p class="muted">Runs in which each alert fired. Green: expected and fired every run; amber: expected, fired in some runs; red: fired without being expected.</p>
<table class="matrix"><thead><tr><th>scenario</th><th>passed</th>${head}</tr></thead><tbody>
${rows}
</tbody></table>
<h2>MTTD per alert</h2>
<p class="muted">The last column is MTTD as a fraction of the detection model's ceiling for that run (p50 / max): 1 is the slowest the rules explain; over 1, the sandbox was slow, not the rule.</p>
<table><thead><tr><th>alert</th><th>samples</th><th>p50</th><th>p95</th><th>max</th><th>×ceiling p50 / max</th></tr></thead><tbody>${mttd || '<tr><td colspan="6">no expected alert fired</td></tr>'}</tbody></table>
</body></html>
`;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d2328}
h1{font-size:22px}h2{font-size:18px;margin-top:24px}.muted{color:#5f6b76;font-size:12px}
.kpis{display:flex;gap:16px}.kpis div{border:1px solid #d5dbe0;border-radius:6px;padding:8px 12px;flex:1}
.kpis b{display:block;font-size:26px}.kpis span{display:block;color:#5f6b76;font-size:12px}
table{border-collapse:collapse;margin-top:8px}td,th{border:1px solid #d5dbe0;padding:4px 8px;text-align:left;vertical-align:bottom}
.matrix td{text-align:center;min-width:32px}.rot{height:140px;white-space:nowrap}.rot span{writing-mode:vertical-rl;transform:rotate(180deg)}
.hit{background:#d3f2dc}.partial{background:#fbe9c6}.noise{background:#f8d4d4}
`;
