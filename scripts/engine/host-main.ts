/**
 * The detached sandbox's process entry, what `sandbox up --detach` (and the workshop) start in the
 * background (engine/detached-sandbox.ts startDetached): built beside the CLI (bin/sandbox.mjs,
 * the package's dist/), it loads only the sandbox's own modules, not the CLI's parser and
 * commands, so the background sandbox starts that much sooner. The flags are those of the hidden
 * `sandbox host` command, which does the same from the CLI (and is used where no build runs).
 * Its output goes to <state>/logs/host.log.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, SandboxError, reportFailure } from '../core/errors.ts';
import { runDetachedHost } from './detached-host.ts';

let exitCode: number = ExitCode.ok;
try {
  const { values } = parseArgs({
    options: {
      runtime: { type: 'string', default: 'auto' },
      'state-dir': { type: 'string' },
      'port-offset': { type: 'string', default: '0' },
      without: { type: 'string' },
      'no-remediation': { type: 'boolean', default: false },
      'ready-fd': { type: 'string' },
    },
    strict: true,
  });
  const portOffset = Number(values['port-offset']);
  if (values['state-dir'] === undefined || !Number.isInteger(portOffset) || portOffset < 0) {
    throw new SandboxError('INVALID_ARGUMENT', 'the background sandbox needs --state-dir <dir> and --port-offset <n>', {
      hint: 'it is started by `sandbox up --detach`, not by hand',
    });
  }
  exitCode = await runDetachedHost({
    stateDir: resolve(values['state-dir']),
    portOffset,
    runtime: values.runtime,
    ...(values.without !== undefined ? { without: values.without } : {}),
    remediation: !values['no-remediation'],
    ...(values['ready-fd'] !== undefined ? { readyFd: values['ready-fd'] } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  });
} catch (caught) {
  // An unknown or malformed flag (node:util parseArgs) is bad input like any other.
  const e = /^ERR_PARSE_ARGS_/.test(String((caught as { code?: unknown }).code)) ? new SandboxError('INVALID_ARGUMENT', (caught as Error).message) : caught;
  exitCode = reportFailure(e);
}
process.exit(exitCode);
