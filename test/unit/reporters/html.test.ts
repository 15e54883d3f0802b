import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HtmlReporter, renderHtml } from '../../../scripts/reporters/html.ts';
import { erroredCrash, failedCrash, nastyName, passedCrash, skipped, suite } from './fixtures.ts';
import { findAll, parseXml, type XmlElement } from './xml.ts';

const html = renderHtml(suite([passedCrash(), failedCrash(), erroredCrash(), skipped()]));

/** Each scenario's section and its plot, the SVG parsed strictly (it must be well-formed). */
function sections(page: string): { html: string; svg: XmlElement | null }[] {
  return page
    .split('<section ')
    .slice(1)
    .map((s) => {
      const svg = /<svg[\s\S]*?<\/svg>/.exec(s)?.[0];
      return { html: s, svg: svg ? parseXml(svg) : null };
    });
}
const byClass = (svg: XmlElement, cls: string) => [...findAll(svg, 'rect'), ...findAll(svg, 'path'), ...findAll(svg, 'circle'), ...findAll(svg, 'line')].filter((e) => (e.attrs.class ?? '').split(' ').includes(cls));

describe('report.html', () => {
  it('needs no network: no external URLs, scripts, stylesheets, fonts or images', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/@import|@font-face|url\(/i);
    // Only in-page anchors.
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#scenario-\d+$/);
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html).toContain('<style>');
  });

  it('has a section per scenario with its outcome badge, metrics with floor/ceiling and expectations', () => {
    const s = sections(html);
    expect(s).toHaveLength(4);
    expect(s.map((x) => /<span class="badge (\w+)">/.exec(x.html)?.[1])).toEqual(['passed', 'failed', 'errored', 'skipped']);
    expect(s[0]!.html).toContain('<div class="label">MTTD</div><div class="value">3.1s</div><div class="note">floor 2s · ceiling 4s · 0.78× ceiling · target 10s</div>');
    expect(s[0]!.html).toContain('<td>3.1s</td><td>10s</td><td>0.78× ceiling (2s–4s)</td>');
    expect(s[0]!.html).toContain('<div class="label">Time to notify</div><div class="value">4.21s</div><div class="note">floor 3s · ceiling 5s</div>');
    expect(s[3]!.html).toContain('<div class="label">Time to notify</div><div class="value">—</div><div class="note">first fault → first delivery</div>');
    expect(s[0]!.html).toContain('<div class="label">MTTR</div><div class="value">12.6s</div>');
    expect(s[0]!.html.match(/<tr class="ok">/g)).toHaveLength(6);
    expect(s[1]!.html.match(/<tr class="miss">/g)).toHaveLength(3);
    expect(s[1]!.html).toContain('<td>remediation</td><td>restart ml-service</td><td>never</td><td>20s</td><td></td><td>expected remediation restart ml-service to succeed within 20s');
    expect(s[2]!.html).toContain('<strong>INJECTION_FAILED</strong>: chaos API of ml-service answered 503 to POST /chaos/latency');
    expect(s[2]!.html).toContain('hint: check `npx sandbox logs ml-service`');
  });

  it('summarises all scenarios in a table linking to their sections', () => {
    const table = /<table class="summary">[\s\S]*?<\/table>/.exec(html)![0];
    expect(table.match(/<tr><td><a href="#scenario-\d">/g)).toHaveLength(4);
    expect(table).toContain('<td>3.1s = 0.78× ceiling <span class="muted">(2s–4s)</span></td><td>4.21s <span class="muted">(3s–5s)</span></td><td>4.9s</td><td>12.6s</td><td>10s / 30s</td>');
    expect(html).toContain('1 passed, 1 failed, 1 skipped, 1 errored');
  });

  it('draws the load window, fault windows and alert states on one time axis', () => {
    const [passed, failed] = sections(html);
    for (const { svg } of [passed!, failed!]) {
      expect(byClass(svg!, 'load-window')).toHaveLength(1);
      const faults = byClass(svg!, 'fault-window');
      expect(faults.map((f) => f.attrs['data-fault-id'])).toEqual(['f-1']);
      expect(byClass(svg!, 'alert-pending').map((e) => e.attrs['data-alert'])).toEqual(['ServiceDown']);
      expect(byClass(svg!, 'alert-firing').map((e) => e.attrs['data-alert'])).toEqual(['ServiceDown']);
      expect(findAll(svg!, 'text').map((t) => t.text)).toEqual(expect.arrayContaining(['fault: crash on ml-service', 'alert: ServiceDown {ml-service}', 'MTTD target', 'MTTR target']));
    }
    // Repaired: the alert resolved and the window closed; not repaired: still firing at the end (dashed).
    expect(byClass(passed!.svg!, 'alert-resolved')).toHaveLength(1);
    expect(byClass(passed!.svg!, 'alert-firing')[0]!.attrs['stroke-dasharray']).toBeUndefined();
    expect(byClass(failed!.svg!, 'alert-resolved')).toHaveLength(0);
    expect(byClass(failed!.svg!, 'alert-firing')[0]!.attrs['stroke-dasharray']).toBeDefined();
    // The fault window spans fault-start → fault-end: wider when nothing repaired it.
    const width = (s: XmlElement) => Number(byClass(s, 'fault-window')[0]!.attrs.width);
    expect(width(failed!.svg!)).toBeGreaterThan(width(passed!.svg!));
  });

  it('marks notifications, remediation actions and process exits/starts', () => {
    const svg = sections(html)[0]!.svg!;
    expect(byClass(svg, 'notification')).toHaveLength(3);
    expect(byClass(svg, 'remediation').map((e) => e.attrs.class)).toEqual(['remediation remediation-started', 'remediation remediation-succeeded']);
    expect(byClass(svg, 'process-exit')).toHaveLength(1);
    expect(byClass(svg, 'process-start')).toHaveLength(1);
    expect(byClass(svg, 'detection-band')).toHaveLength(1);
    expect(byClass(svg, 'target-line')).toHaveLength(2);
    // Every shape explains itself on hover.
    const notification = byClass(svg, 'notification')[0]!;
    expect(notification.children[0]).toMatchObject({ name: 'title', text: '9.65s: pagerduty received ServiceDown (firing)' });
    const failed = sections(html)[1]!.svg!;
    expect(byClass(failed, 'remediation').map((e) => e.attrs.class)).toEqual(['remediation remediation-dry-run']);
    expect(byClass(failed, 'process-start')).toHaveLength(0);
  });

  it('shows a scenario without events without a plot', () => {
    const s = sections(html)[3]!;
    expect(s.svg).toBeNull();
    expect(s.html).toContain('No timeline events were recorded.');
  });

  it('escapes user-supplied text everywhere', () => {
    const bad = failedCrash(nastyName);
    bad.description = '<script>alert(1)</script>';
    const page = renderHtml(suite([bad]));
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>');
    expect(page).toContain('a&lt;b&gt;&amp;&quot;c&#39;d]]&gt;');
    const { svg } = sections(page)[0]!;
    expect(svg!.attrs['aria-label']).toBe(`timeline of ${nastyName}`);
  });

  it('writes report.html into the report dir, creating it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'html-')), 'reports');
    await new HtmlReporter(dir).onSuiteEnd(suite([passedCrash()]));
    expect(readdirSync(dir)).toEqual(['report.html']);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(renderHtml(suite([passedCrash()])));
  });
});
