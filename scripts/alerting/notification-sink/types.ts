/** What the sink records per notification; scripts/scenario/observers/receivers.ts reads it. */
export type DeliveryKind = 'webhook' | 'slack' | 'pagerduty';
export type AlertStatus = 'firing' | 'resolved';

export interface DeliveredAlert {
  alertname: string;
  status: AlertStatus;
  labels: Record<string, string>;
}

export interface Delivery {
  id: string;
  /** The `:receiver` path segment the notification was posted to. */
  receiver: string;
  kind: DeliveryKind;
  /** ISO time the sink received it. */
  receivedAt: string;
  status: AlertStatus;
  alerts: DeliveredAlert[];
  raw?: unknown;
}

/** A delivery before the store gives it an id and a time. */
export type DeliveryContent = Pick<Delivery, 'status' | 'alerts'>;
