import { runReceivers } from '../process.ts';
import { startSink } from './start.ts';

/** The notification sink alone in a process (tests, and by hand); the sandbox runs it with the controller: ../receivers-main.ts. */
await runReceivers([() => startSink()]);
