import { formatSeconds } from '../../core/duration.ts';
import { BUILTIN_SCENARIO_DIR, scenarioFilesIn } from '../../scenario/discover.ts';
import { loadScenario } from '../../scenario/loader.ts';
import { out } from '../context.ts';

/** `sandbox scenarios`: the built-in catalog with targets. */
export async function scenariosCommand(opts: { json?: boolean }): Promise<number> {
  const scenarios = scenarioFilesIn(BUILTIN_SCENARIO_DIR).map((f) => loadScenario(f));
  if (opts.json) {
    out(JSON.stringify(scenarios.map((s) => ({ name: s.name, description: s.description, file: s.file, targets: s.targets, faults: s.faults.map((f) => `${f.type} on ${f.service}`) })), null, 2));
    return 0;
  }
  const rows = scenarios.map((s) => [s.name, `MTTD ≤ ${formatSeconds(s.targets.mttdSeconds)}`, `MTTR ≤ ${formatSeconds(s.targets.mttrSeconds)}`, s.description ?? '']);
  const w = (i: number) => Math.max(...rows.map((r) => r[i]!.length));
  for (const r of rows) out(`  ${r[0]!.padEnd(w(0))}  ${r[1]!.padEnd(w(1))}  ${r[2]!.padEnd(w(2))}  ${r[3]}`);
  out(`\nrun one: npx sandbox run ${scenarios[0]?.name ?? '<name>'}   run all: npx sandbox test scenarios/`);
  return 0;
}
