import { z } from 'zod';

/**
 * Alertmanager's webhook payload (version 4), as it posts it to the notification sink's webhook
 * receiver and to the remediation controller. Objects are loose: fields a newer Alertmanager
 * adds are kept, not rejected.
 */
const labelSet = z.record(z.string(), z.string());
const status = z.enum(['firing', 'resolved']);

export const webhookAlertSchema = z.looseObject({
  status,
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  /** Alertmanager sends it on every alert; the controller keys repeats on it. */
  fingerprint: z.string().min(1),
});

export const webhookBodySchema = z.looseObject({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status,
  receiver: z.string(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(webhookAlertSchema).min(1),
});

export type WebhookBody = z.output<typeof webhookBodySchema>;
export type WebhookAlert = z.output<typeof webhookAlertSchema>;
