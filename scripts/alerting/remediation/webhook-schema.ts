import { z } from 'zod';

/** Alertmanager's webhook payload (version 4); extra fields are accepted and ignored. */
export const webhookAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1),
});

export const webhookBodySchema = z.looseObject({
  version: z.string(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  alerts: z.array(webhookAlertSchema),
});

export type WebhookBody = z.output<typeof webhookBodySchema>;
export type WebhookAlert = z.output<typeof webhookAlertSchema>;

/** Issues as "path: message" lines, the path written like alerts[0].fingerprint. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');
    return `${path || '(body)'}: ${i.message}`;
  });
}
