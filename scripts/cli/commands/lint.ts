import { ExitCode } from '../../core/errors.ts';
import { formatLintProblem, lintAlerts } from '../../scenario/lint.ts';
import { out, type GlobalOptions } from '../context.ts';

/** `sandbox lint`: alert quality and coverage; exit 2 (invalid configuration) on any problem. */
export async function lintCommand(opts: GlobalOptions & { rules?: string; scenarios?: string; json?: boolean }): Promise<number> {
  const result = lintAlerts({ ...(opts.rules ? { rulesDir: opts.rules } : {}), ...(opts.scenarios ? { scenariosDir: opts.scenarios } : {}) });
  if (opts.json) out(JSON.stringify(result, null, 2));
  else {
    for (const p of result.problems) out(formatLintProblem(p));
    out(
      result.problems.length === 0
        ? `lint: ${result.alerts} alerts, each with severity, summary and runbook, each expected by one of ${result.scenarios} scenarios`
        : `lint: ${result.problems.length} problem(s) in ${result.alerts} alerts`,
    );
  }
  return result.problems.length === 0 ? ExitCode.ok : ExitCode.invalidInput;
}
