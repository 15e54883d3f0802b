import type { z } from 'zod';
import { describeZodIssues } from '../../scripts/core/issues.ts';

/** One line naming every bad field, e.g. "sensors.t24: expected number, received string". */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return describeZodIssues(error, prefix).join('; ');
}
