import { describe, expect, it } from 'vitest';
import { parseAlertLine, parseAlertLines, unquoteGo } from '../../../scripts/alerting/notification-sink/template-lines.ts';

// Lines as compose/alertmanager/templates/sandbox.tmpl renders them ("sandbox.alerts.text");
// test/integration/alerting/notification-sink.test.ts checks the real template against this parser.
describe('template line parser', () => {
  it('parses status, alertname and quoted labels', () => {
    expect(parseAlertLine('[firing] ServiceDown service="ml-service" severity="critical"')).toEqual({
      alertname: 'ServiceDown',
      status: 'firing',
      labels: { alertname: 'ServiceDown', service: 'ml-service', severity: 'critical' },
    });
    expect(parseAlertLine('[resolved] TrafficDrop')).toEqual({ alertname: 'TrafficDrop', status: 'resolved', labels: { alertname: 'TrafficDrop' } });
  });

  it('keeps spaces, quotes, backslashes, = and newlines inside label values', () => {
    const a = parseAlertLine(String.raw`[firing] X note="say \"hi\" a=b c" path="C:\\tmp" multi="a\nb" empty=""`);
    expect(a?.labels).toEqual({ alertname: 'X', note: 'say "hi" a=b c', path: 'C:\\tmp', multi: 'a\nb', empty: '' });
  });

  it('reads a Go-quoted alertname', () => {
    expect(parseAlertLine('[firing] "Weird \\"Name\\"" service="x"')?.alertname).toBe('Weird "Name"');
  });

  it('undoes Go escapes (strconv.Quote)', () => {
    expect(unquoteGo(String.raw`"\t\r\x41\u00e9\U0001F600\101\a"`)).toBe('\t\rAé😀A\x07');
    expect(unquoteGo('"plain é"')).toBe('plain é');
  });

  it('rejects lines that are not alert lines', () => {
    for (const line of [
      '  ml-service has been unreachable',
      '[FIRING:1] ServiceDown on ml-service',
      '[firing]ServiceDown',
      '[pending] ServiceDown',
      '[firing] ServiceDown service=ml-service',
      '[firing] ServiceDown service="unterminated',
      'prefix [firing] ServiceDown',
    ]) {
      expect(parseAlertLine(line), line).toBeUndefined();
    }
  });

  it('finds every alert in a multi-line text, skipping summaries', () => {
    const text = [
      '[firing] ServiceDown service="ml-service" severity="critical"',
      '  ml-service is down',
      '  [resolved] NotAnAlert because="indented"',
      '[resolved] HighErrorRate service="api-gateway" severity="critical"',
      '',
    ].join('\r\n');
    expect(parseAlertLines(text).map((a) => `${a.status}:${a.alertname}:${a.labels.service}`)).toEqual([
      'firing:ServiceDown:ml-service',
      'resolved:HighErrorRate:api-gateway',
    ]);
  });
});
