import { Command, CommanderError, Option } from 'commander';
import { ExitCode, reportFailure } from '../core/errors.ts';
import { packageVersion } from '../core/paths.ts';

/**
 * The CLI is thin: parse flags, call the sandbox, map outcomes to exit codes. Errors are caught
 * here and only here: a SandboxError prints its code, message, details and hint.
 */
const program = new Command('sandbox')
  .description('Observability sandbox: start a monitoring stack, break things on purpose, prove the monitoring notices and repairs them in time.')
  .option('--state-dir <dir>', 'where run state lives (default: .sandbox in the working directory; env SANDBOX_STATE_DIR)')
  .option('--port-offset <n>', 'move every port by n, to run several sandboxes side by side (env SANDBOX_PORT_OFFSET)')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride();

const runtimeOption = () =>
  new Option('--runtime <runtime>', 'auto (docker where an engine answers, else native), native or docker').default('auto');
const withoutOption = () =>
  new Option('--without <components>', 'leave optional stack components out, comma-separated, e.g. grafana,loki (env SANDBOX_WITHOUT)');
const noRemediation = () => new Option('--no-remediation', 'the remediation controller observes and records, and acts on nothing');

let exitCode: number = ExitCode.ok;
const set = (p: Promise<number>) => p.then((code) => void (exitCode = code));
const globals = () => program.opts<{ stateDir?: string; portOffset?: string }>();

program
  .command('up')
  .description('start everything and print where it is; in the foreground Ctrl-C stops it all')
  .addOption(runtimeOption())
  .addOption(withoutOption())
  .option('--detach', 'start in the background and return')
  .addOption(noRemediation())
  .action(async (o) => set((await import('./commands/up.ts')).upCommand({ ...globals(), ...o })));

program
  .command('host', { hidden: true })
  .addOption(runtimeOption())
  .addOption(withoutOption())
  .addOption(noRemediation())
  .addOption(new Option('--ready-fd <fd>', 'where to say it is ready (the `up --detach` that started it)').hideHelp())
  .action(async (o) => set((await import('./commands/up.ts')).hostCommand({ ...globals(), ...o })));

program
  .command('status')
  .description('show each component, its state and URL')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await import('./commands/status.ts')).statusCommand({ ...globals(), ...o })));

program
  .command('down')
  .description('stop the running sandbox and reap anything a killed one left behind')
  .action(async () => set((await import('./commands/down.ts')).downCommand(globals())));

program
  .command('logs <component>')
  .description("print a component's log")
  .option('-f, --follow', 'keep printing new lines')
  .option('-n, --lines <n>', 'how many lines', '200')
  .action(async (component: string, o) => set((await import('./commands/logs.ts')).logsCommand(component, { ...globals(), ...o })));

const reporterOption = () => new Option('--reporter <name...>', 'terminal, json, junit, html, markdown, scorecard, or the path of a reporter module (default: terminal; terminal, json, junit, html and markdown for test or with --report-dir)');
const forceOption = () => new Option('--force', 'replace reports an earlier run left in --report-dir (without it, such a directory is refused)');
const allowRulesOption = () => new Option('--allow-rules <files...>', "rule files outside the scenario's directory and the project that scenarios may load (`rules:`)");

program
  .command('run <scenarios...>')
  .description('run scenario files, directories or built-in names against the running sandbox (starting one if none runs)')
  .addOption(runtimeOption())
  .addOption(withoutOption())
  .addOption(noRemediation())
  .option('--report-dir <dir>', 'write report.json, junit.xml, report.html and report.md here (default: a new .sandbox/reports/<time> per run)')
  .addOption(forceOption())
  .addOption(allowRulesOption())
  .addOption(reporterOption())
  .option('-q, --quiet', 'print only each scenario’s start and result, not every event')
  .option('--attach', 'judge a Prometheus and Alertmanager you already run instead of starting the sandbox’s own')
  .option('--prometheus-url <url>', 'with --attach: your Prometheus, e.g. http://127.0.0.1:9090')
  .option('--alertmanager-url <url>', 'with --attach: your Alertmanager, e.g. http://127.0.0.1:9093')
  .option('--loki-url <url>', 'with --attach: your Loki, for logs and correlation expectations (optional)')
  .option('--tempo-url <url>', 'with --attach: your Tempo, for trace and correlation expectations (optional)')
  .action(async (files: string[], o) => set((await import('./commands/run.ts')).runCommand(files, { ...globals(), ...o }, 'run')));

program
  .command('test [scenarios...]')
  .description('for CI: start a sandbox, run the scenarios (default: scenarios/), write reports, tear down; exit 0 only if all passed')
  .addOption(runtimeOption())
  .addOption(withoutOption())
  .addOption(noRemediation())
  .option('--report-dir <dir>', 'where reports go (default: a new .sandbox/reports/<time> per run)')
  .addOption(forceOption())
  .addOption(allowRulesOption())
  .option('--parallel <n>', 'run scenarios on n sandboxes side by side (auto: one more than the cores, at most 3)', 'auto')
  .addOption(reporterOption())
  .option('-q, --quiet', 'print only each scenario’s start and result, not every event')
  .option('--attach', 'judge a Prometheus and Alertmanager you already run instead of starting the sandbox’s own')
  .option('--prometheus-url <url>', 'with --attach: your Prometheus, e.g. http://127.0.0.1:9090')
  .option('--alertmanager-url <url>', 'with --attach: your Alertmanager, e.g. http://127.0.0.1:9093')
  .option('--loki-url <url>', 'with --attach: your Loki, for logs and correlation expectations (optional)')
  .option('--tempo-url <url>', 'with --attach: your Tempo, for trace and correlation expectations (optional)')
  .action(async (files: string[], o) => set((await import('./commands/run.ts')).runCommand(files, { ...globals(), ...o }, 'test')));

program
  .command('attach')
  .description('judge a Prometheus and Alertmanager you already run (`run`/`test --attach`): what to add to them')
  .command('config')
  .description('print the scrape jobs and Alertmanager receivers and route to add, for this --state-dir and --port-offset')
  .action(async () => set((await import('./commands/attach.ts')).attachConfigCommand(globals())));

const silence = program.command('silence').description('maintenance windows: silence alerts in the running sandbox through Alertmanager');
silence
  .command('add <matchers...>')
  .description('silence alerts matching every matcher, e.g. alertname=ServiceDown service=~"ml-.*"')
  .option('-d, --duration <duration>', 'how long, e.g. 30m or 2h', '1h')
  .option('-c, --comment <text>', 'why (shown in Alertmanager)')
  .action(async (m: string[], o) => set((await import('./commands/silence.ts')).silenceAddCommand(m, { ...globals(), ...o })));
silence
  .command('list')
  .description('active and pending silences')
  .option('--all', 'include expired ones')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await import('./commands/silence.ts')).silenceListCommand({ ...globals(), ...o })));
silence
  .command('expire <ids...>')
  .description('end silences early')
  .action(async (ids: string[]) => set((await import('./commands/silence.ts')).silenceExpireCommand(ids, globals())));

program
  .command('lint')
  .description('check alert quality: severity, summary and runbook on every alert, and a scenario that expects each one')
  .option('--rules <dir>', 'rule files to check (default: compose/prometheus/rules)')
  .option('--scenarios <dir>', 'scenarios that must cover them (default: scenarios/)')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await import('./commands/lint.ts')).lintCommand({ ...globals(), ...o })));

program
  .command('scorecard [scenarios...]')
  .description('run the scenarios (default: scenarios/) several times and score the alerting: fault × alert matrix, coverage, precision, baseline false positives, MTTD per alert')
  .addOption(runtimeOption())
  .addOption(withoutOption())
  .option('--repeat <n>', 'runs per scenario', '3')
  .option('--report-dir <dir>', 'where scorecard.json and scorecard.html go (default: a new .sandbox/reports/<time> per run)')
  .addOption(forceOption())
  .addOption(allowRulesOption())
  .option('--parallel <n>', 'sandboxes side by side (auto: one more than the cores, at most 3)', 'auto')
  .action(async (files: string[], o) => set((await import('./commands/scorecard.ts')).scorecardCommand(files, { ...globals(), remediation: true, ...o })));

const workshop = program.command('workshop').description('on-call training: a hidden incident after a quiet period; ack, diagnose, fix, hints, scoring and a debrief');
const ws = () => import('./commands/workshop.ts');
workshop
  .command('start')
  .description('start the sandbox (detached, remediation off) with load, and inject a hidden incident after a seeded quiet period')
  .option('--seed <n>', 'the same seed gives the same scenario, quiet period and fault parameters (default: random, printed)')
  .option('--scenario <name|file>', 'a built-in scenario or a scenario file with faults')
  .option('--random', 'draw the scenario from the catalog with the seed (the default)')
  .option('--difficulty <level>', 'easy (short quiet period, louder faults), normal or hard', 'normal')
  .option('--quiet-period <duration>', 'override the drawn quiet period, e.g. 3s (tests, demos)')
  .option('--remediation', 'let the remediation controller act (off by default: trainees must)')
  .addOption(runtimeOption())
  .addOption(withoutOption())
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopStartCommand({ ...globals(), ...o })));
workshop
  .command('status')
  .description('what on call sees: elapsed time, alerts firing now, acknowledged, diagnosis, hints, fixes')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopStatusCommand({ ...globals(), ...o })));
workshop
  .command('ack')
  .description('acknowledge the alert (starts nothing; the time to acknowledge is scored)')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopAckCommand({ ...globals(), ...o })));
workshop
  .command('diagnose')
  .description('name the broken service and the cause; a wrong diagnosis is recorded and costs points')
  .requiredOption('--service <name>', 'ml-service or api-gateway')
  .requiredOption('--cause <type>', 'latency, errors, crash, crash-loop, bad-model, memory-leak, cpu-burn or dependency-outage')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopDiagnoseCommand({ ...globals(), ...o })));
workshop
  .command('fix <action>')
  .description('apply a remediation playbook action by hand: restart, rollback-model, circuit-breaker or clear-faults')
  .option('--service <name>', 'the service to act on (restart needs it; rollback-model: ml-service, circuit-breaker: api-gateway; clear-faults: all)')
  .option('--state <mode>', 'circuit-breaker: open, closed or auto', 'open')
  .option('--json', 'machine-readable output')
  .action(async (action: string, o) => set((await ws()).workshopFixCommand(action, { ...globals(), ...o })));
workshop
  .command('hint')
  .description('the next graded hint (1: where to look, 2: which query or log line, 3: nearly the answer); each costs points')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopHintCommand({ ...globals(), ...o })));
workshop
  .command('reveal')
  .description('facilitator: what was injected, with which parameters, and when')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopRevealCommand({ ...globals(), ...o })));
workshop
  .command('reset')
  .description('facilitator: end the incident and return the sandbox to a clean state in seconds')
  .action(async () => set((await ws()).workshopResetCommand(globals())));
workshop
  .command('stop')
  .description('end the round, and stop the sandbox if the workshop started it')
  .option('--keep-sandbox', 'leave the sandbox running')
  .action(async (o) => set((await ws()).workshopStopCommand({ ...globals(), ...o })));
workshop
  .command('debrief')
  .description('scorecard in the terminal and a self-contained HTML debrief with the incident timeline')
  .option('--out <file>', 'where the HTML goes (default: .sandbox/workshop/debrief.html)')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await ws()).workshopDebriefCommand({ ...globals(), ...o })));

program
  .command('scenarios')
  .description('list the built-in scenarios with their targets')
  .option('--json', 'machine-readable output')
  .action(async (o) => set((await import('./commands/scenarios.ts')).scenariosCommand(o)));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    exitCode = e.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
  } else {
    exitCode = reportFailure(e);
  }
}
process.exit(exitCode);
