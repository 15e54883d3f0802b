import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../../core/duration.ts';
import { maxInstances, services } from '../../stack/catalog.ts';

/**
 * The playbook file's shape (compose/remediation/playbooks.yml). Durations are Prometheus-style
 * and become milliseconds here; each action kind has its own strict option set.
 */
export const ACTION_NAMES = ['restart', 'rollback-model', 'circuit-breaker', 'clear-faults', 'scale-out'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** The most instances any service may run (the port plan reserves replica ports for them). */
const MAX_INSTANCES = Math.max(...services.map(maxInstances));

export function isActionName(name: string): name is ActionName {
  return (ACTION_NAMES as readonly string[]).includes(name);
}

const durationMs = z
  .string({ error: 'expected a duration such as "30s" or "10m"' })
  // For editors (compose/remediation/playbooks.schema.json); the transform below is the check.
  .meta({ pattern: DURATION_PATTERN.source, description: 'a Prometheus-style duration such as 500ms, 30s or 10m' })
  .transform((text, ctx) => {
    const seconds = parseDuration(text);
    if (seconds === null) {
      ctx.addIssue({ code: 'custom', message: `bad duration '${text}': expected a Prometheus-style duration such as 500ms, 30s, 10m` });
      return z.NEVER;
    }
    return Math.round(seconds * 1000);
  });

/** A label matcher: an exact value, or /regex/ matched against the whole value. */
const matcherValue = z.string().refine(
  (v) => {
    if (!isRegexForm(v)) return true;
    try {
      new RegExp(v.slice(1, -1));
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `invalid regular expression ${String(issue.input)}` },
);

export function isRegexForm(value: string): boolean {
  return value.length >= 2 && value.startsWith('/') && value.endsWith('/');
}

const service = z.string().regex(/^[\w-]+$/, 'expected a service name such as ml-service').optional();

/** One strict schema per action: an option that belongs to another action is an error. */
export const actionSchemas = {
  restart: z.strictObject({ action: z.literal('restart'), service }),
  'rollback-model': z.strictObject({ action: z.literal('rollback-model'), service }),
  'circuit-breaker': z.strictObject({
    action: z.literal('circuit-breaker'),
    service,
    state: z.enum(['open', 'closed', 'auto']),
    /** Hand the breaker back to automatic mode after this long, so a pinned-open breaker cannot outlive its cause. */
    holdFor: durationMs.optional(),
  }),
  'clear-faults': z.strictObject({
    action: z.literal('clear-faults'),
    service,
    /** Crash loops: switch the supervisor's restart policy to never and start the service once, cleanly. */
    stopRestartLoop: z.boolean().optional(),
  }),
  'scale-out': z.strictObject({ action: z.literal('scale-out'), service, replicas: z.int().min(1).max(MAX_INSTANCES, `at most ${MAX_INSTANCES}: the port plan has room for that many instances of a service`) }),
} satisfies Record<ActionName, z.ZodType>;

export type ActionSpec = { [K in ActionName]: z.output<(typeof actionSchemas)[K]> }[ActionName];
export type ActionSpecOf<K extends ActionName> = z.output<(typeof actionSchemas)[K]>;

/** Checks `action` first so an unknown one gets its own message rather than a union's noise. */
export const actionSpec = z
  .looseObject({ action: z.string({ error: "expected an action name such as 'restart'" }) })
  .transform((value, ctx): ActionSpec => {
    if (!isActionName(value.action)) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: `unknown action '${value.action}'`, params: { unknownAction: value.action } });
      return z.NEVER;
    }
    const parsed = actionSchemas[value.action].safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path, message: issue.message, params: issueParams(issue) });
      return z.NEVER;
    }
    return parsed.data as ActionSpec;
  });

/** Keeps what the validator needs from an inner issue (unknown keys) when it is re-raised. */
function issueParams(issue: z.core.$ZodIssue): Record<string, unknown> | undefined {
  return issue.code === 'unrecognized_keys' ? { unrecognizedKeys: issue.keys } : undefined;
}

const limits = {
  cooldown: durationMs,
  maxAttempts: z.int().min(1).max(100),
  window: durationMs,
  verifyTimeout: durationMs,
  /** Timeout of each HTTP call an action makes. */
  timeout: durationMs,
};

const playbookSchema = z
  .strictObject({
    name: z.string().regex(/^[\w.-]+$/, 'expected a name of letters, digits, - _ .'),
    description: z.string().optional(),
    match: z.record(z.string(), matcherValue).refine((m) => Object.keys(m).length > 0, 'expected at least one label matcher'),
    actions: z.array(actionSpec).default([]),
    onResolved: z.array(actionSpec).default([]),
    cooldown: limits.cooldown.optional(),
    maxAttempts: limits.maxAttempts.optional(),
    window: limits.window.optional(),
    verifyTimeout: limits.verifyTimeout.optional(),
    timeout: limits.timeout.optional(),
  })
  .refine((p) => p.actions.length + p.onResolved.length > 0, 'expected actions, onResolved or both');

export const playbookFileSchema = z.strictObject({
  defaults: z
    .strictObject({
      cooldown: limits.cooldown.default(30_000),
      maxAttempts: limits.maxAttempts.default(3),
      window: limits.window.default(600_000),
      verifyTimeout: limits.verifyTimeout.default(20_000),
      timeout: limits.timeout.default(30_000),
    })
    .prefault({}),
  allowedActions: z.array(z.enum(ACTION_NAMES, { error: (i) => `unknown action '${String(i.input)}'; known: ${ACTION_NAMES.join(', ')}` })).min(1),
  playbooks: z.array(playbookSchema),
});

export type PlaybookFile = z.output<typeof playbookFileSchema>;
export type Limits = PlaybookFile['defaults'];

/** A playbook with its limits resolved against the file's defaults. */
export interface Playbook {
  name: string;
  description?: string;
  match: Record<string, string>;
  actions: ActionSpec[];
  onResolved: ActionSpec[];
  limits: Limits;
}

export interface PlaybookSet {
  file: string;
  allowedActions: ActionName[];
  playbooks: Playbook[];
}
