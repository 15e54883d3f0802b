import type { z } from 'zod';

/**
 * Each problem of an input a schema refused, as `alerts[0].labels: expected object, received
 * string`: the path first (`(body)` for the whole input), then what is wrong. The one wording
 * every HTTP surface (sink, controller, chaos API, services) answers a bad request with.
 */
export function describeZodIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map((seg) => (typeof seg === 'number' ? `[${seg}]` : String(seg)))]
      .filter(Boolean)
      .join('.')
      .replace(/\.\[/g, '[');
    let message = issue.message.replace(/^Invalid (input|option): /, '').replace(/^expected record\b/, 'expected object');
    if (/received undefined$/.test(message)) message = `required (${message.replace(/, received undefined$/, '')})`;
    return `${path || '(body)'}: ${message}`;
  });
}
