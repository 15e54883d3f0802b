import { SandboxError } from '../core/errors.ts';
import type { Reporter } from '../scenario/result.ts';
import { HtmlReporter } from './html.ts';
import { JsonReporter } from './json.ts';
import { JunitReporter } from './junit.ts';
import { MarkdownReporter } from './markdown.ts';
import { TerminalReporter, type OutputStream } from './terminal.ts';

export { HtmlReporter, HTML_REPORT_FILE, renderHtml } from './html.ts';
export { JsonReporter, JSON_REPORT_FILE, toReportDocument, type ReportDocument } from './json.ts';
export { JunitReporter, JUNIT_REPORT_FILE, renderJunit } from './junit.ts';
export { MarkdownReporter, MARKDOWN_REPORT_FILE, renderMarkdown } from './markdown.ts';
export { TerminalReporter, type OutputStream, type TerminalOptions } from './terminal.ts';

export const reporterNames = ['terminal', 'json', 'junit', 'html', 'markdown'] as const;
export type ReporterName = (typeof reporterNames)[number];

export interface ReporterOptions {
  /** Where json, junit, html and markdown write their files; created when missing. */
  reportDir: string;
  /** Where markdown finds GITHUB_STEP_SUMMARY (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The terminal reporter's output (default process.stdout). */
  stream?: OutputStream;
  /** Terminal: only scenario start and end lines, not every event. */
  quiet?: boolean;
}

const factories: Record<ReporterName, (o: ReporterOptions) => Reporter> = {
  terminal: (o) => new TerminalReporter({ ...(o.stream ? { stream: o.stream } : {}), quiet: o.quiet ?? false }),
  json: (o) => new JsonReporter(o.reportDir),
  junit: (o) => new JunitReporter(o.reportDir),
  html: (o) => new HtmlReporter(o.reportDir),
  markdown: (o) => new MarkdownReporter(o.reportDir, o.env),
};

const isReporterName = (n: string): n is ReporterName => (reporterNames as readonly string[]).includes(n);

/**
 * Reporters by name, in the order given, each once. `--reporter json,junit` and
 * `--reporter json junit` mean the same. Every unknown name is reported at once, before
 * anything runs.
 */
export function createReporters(names: readonly string[], opts: ReporterOptions): Reporter[] {
  const wanted = [...new Set(names.flatMap((n) => n.split(',')).map((n) => n.trim().toLowerCase()).filter(Boolean))];
  const unknown = wanted.filter((n) => !isReporterName(n));
  if (unknown.length) {
    throw new SandboxError('INVALID_ARGUMENT', `unknown reporter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: `known reporters: ${reporterNames.join(', ')}`,
    });
  }
  return wanted.filter(isReporterName).map((n) => factories[n](opts));
}
