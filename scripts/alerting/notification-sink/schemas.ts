import { z } from 'zod';
import { describeZodIssues } from '../../core/issues.ts';

/**
 * Body shapes the sink accepts, as Alertmanager sends them: webhook_configs (payload version 4,
 * ../webhook-body.ts, shared with the remediation controller), slack_configs (Slack incoming webhook) and pagerduty_configs (PagerDuty Events API v2). Objects
 * are loose: fields a newer Alertmanager adds are kept, not rejected.
 */

const labelSet = z.record(z.string(), z.string());
const status = z.enum(['firing', 'resolved']);


const slackField = z.looseObject({ title: z.string(), value: z.string(), short: z.boolean().optional() });
const slackAttachment = z.looseObject({
  title: z.string().optional(),
  title_link: z.string().optional(),
  pretext: z.string().optional(),
  text: z.string().optional(),
  fallback: z.string().optional(),
  callback_id: z.string().optional(),
  color: z.string().optional(),
  footer: z.string().optional(),
  fields: z.array(slackField).optional(),
  mrkdwn_in: z.array(z.string()).optional(),
});

export const slackBodySchema = z
  .looseObject({
    channel: z.string().optional(),
    username: z.string().optional(),
    icon_emoji: z.string().optional(),
    icon_url: z.string().optional(),
    link_names: z.boolean().optional(),
    text: z.string().optional(),
    attachments: z.array(slackAttachment).optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.text && !b.attachments?.length) {
      ctx.addIssue({ code: 'custom', path: ['attachments'], message: 'a Slack message needs `text` or at least one attachment' });
    }
  });
export type SlackBody = z.infer<typeof slackBodySchema>;

/** PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export const pagerDutyEventSchema = z
  .looseObject({
    routing_key: z.string().length(32, 'must be a 32-character integration key'),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().max(255).optional(),
    payload: z
      .looseObject({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: z.enum(['critical', 'error', 'warning', 'info']),
        timestamp: z.string().optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.unknown().optional(),
      })
      .optional(),
    client: z.string().optional(),
    client_url: z.string().optional(),
    links: z.array(z.looseObject({ href: z.string(), text: z.string().optional() })).optional(),
    images: z.array(z.looseObject({ src: z.string(), href: z.string().optional(), alt: z.string().optional() })).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.event_action === 'trigger' && !e.payload) ctx.addIssue({ code: 'custom', path: ['payload'], message: 'required for a trigger event' });
    if (e.event_action !== 'trigger' && !e.dedup_key) ctx.addIssue({ code: 'custom', path: ['dedup_key'], message: `required for a ${e.event_action} event` });
  });
export type PagerDutyEvent = z.infer<typeof pagerDutyEventSchema>;

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: string[] };

export function validate<T>(schema: z.ZodType<T>, body: unknown): Validation<T> {
  const r = schema.safeParse(body);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: describeZodIssues(r.error) };
}
