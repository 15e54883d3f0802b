import { parseAlertLines } from './template-lines.ts';
import type { WebhookBody } from '../webhook-body.ts';
import type { PagerDutyEvent, SlackBody } from './schemas.ts';
import type { AlertStatus, DeliveredAlert, DeliveryContent } from './types.ts';

/** Turn each validated body into what the sink records: a status and the alerts it carried. */

export function fromWebhook(body: WebhookBody): DeliveryContent {
  return {
    status: body.status,
    alerts: body.alerts.map((a) => ({ alertname: a.labels.alertname ?? '', status: a.status, labels: { ...a.labels } })),
  };
}

function unique(alerts: DeliveredAlert[]): DeliveredAlert[] {
  const seen = new Set<string>();
  return alerts.filter((a) => {
    const key = JSON.stringify([a.status, Object.entries(a.labels).sort()]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A group is firing while any of its alerts fires (as Alertmanager's own group status). */
function groupStatus(alerts: DeliveredAlert[], fallback: AlertStatus): AlertStatus {
  if (alerts.length === 0) return fallback;
  return alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
}

/** Slack: alerts come back from the template's lines in the message and attachment texts. */
export function fromSlack(body: SlackBody): DeliveryContent {
  const texts = [body.text, ...(body.attachments ?? []).flatMap((a) => [a.text, ...(a.fields ?? []).map((f) => f.value)])];
  const alerts = unique(texts.flatMap((t) => (t ? parseAlertLines(t) : [])));
  const titles = [body.text, ...(body.attachments ?? []).map((a) => a.title)].join('\n');
  return { status: groupStatus(alerts, /\bRESOLVED\b/.test(titles) ? 'resolved' : 'firing'), alerts };
}

/** Every string in the custom details, however deep (newer Alertmanagers send nested details). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** PagerDuty: alerts come back from the template's lines in payload.custom_details. */
export function fromPagerDuty(event: PagerDutyEvent): DeliveryContent {
  const alerts = unique(strings(event.payload?.custom_details).flatMap(parseAlertLines));
  return { status: event.event_action === 'resolve' ? 'resolved' : 'firing', alerts };
}
