import { runReceivers } from '../process.ts';
import { startController } from './start.ts';

/**
 * The remediation controller alone in a process (tests, and by hand); the sandbox runs it with
 * the notification sink: ../receivers-main.ts. Exit codes: 2 invalid playbooks or settings, 1
 * could not listen.
 */
await runReceivers([() => startController()]);
