import { writeSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * JSON lines to stdout (the supervisor redirects it to the service's log file). Every line
 * written while a span is active carries its trace_id and span_id, so Loki → Tempo works;
 * request loggers add correlation_id (see http-server.ts). With `ship` (log-shipping.ts, when
 * OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set) the same lines also go to Loki as OTLP logs.
 */
export function createLogger(service: string, level: string, ship?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  };
  return ship ? pino(options, alsoTo(ship)) : pino(options, stdoutSync());
}

/**
 * stdout, written synchronously but in batches. pino's default destination writes asynchronously:
 * one fs.write through libuv's thread pool per line whenever the previous one has finished, which
 * on a service idling between requests is every line, and cost the gateway ~0.2 ms of CPU per
 * request (profiled). One synchronous write per line instead still cost each service ~20 µs of
 * CPU per request under POST /predict load (writeString, issue 15's profile), so whole lines
 * collect in a buffer written with one write(2) when it holds 16 KiB, 25 ms after its first line,
 * at once for a warning or worse, and on exit (process.exit and uncaught exceptions both emit
 * 'exit'; only a SIGKILL loses what the last 25 ms buffered). A line is never split across
 * writes. Not pino.destination's buffer: its flushSync() also fsyncs the file, which blocked each
 * service's event loop for a disk flush every 25 ms (~110 µs a request in the gateway, profiled).
 */
export const STDOUT_FLUSH_MS = 25;
const STDOUT_BUFFER_BYTES = 16 * 1024;
let stdoutStream: DestinationStream | undefined;
function stdoutSync(): DestinationStream {
  if (stdoutStream) return stdoutStream;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const out = pending;
    pending = '';
    writeAllSync(1, out);
  };
  process.on('exit', flush);
  const dest = {
    // pino sets lastLevel before each write on a stream carrying this symbol.
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 30,
    write(line: string) {
      pending += line;
      // Warnings and errors reach the file at once: they are what someone reads after an incident.
      if (dest.lastLevel >= 40 || pending.length >= STDOUT_BUFFER_BYTES) flush();
      else timer ??= setTimeout(flush, STDOUT_FLUSH_MS).unref();
    },
  };
  stdoutStream = dest;
  return dest;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** All of `text` to `fd` with write(2); a full pipe (EAGAIN) is waited out, a closed one (EPIPE) drops the text. */
function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let off = 0;
  for (let busy = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'EAGAIN' && code !== 'EBUSY') || ++busy > 1000) return;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/**
 * stdout (synchronously, see stdoutSync) and `extra`; both get every line the logger's own level
 * lets through. One destination writing to both rather than pino.multistream, which per line
 * walks its stream list and sets five metadata fields on each stream.
 */
export function alsoTo(extra: DestinationStream): DestinationStream {
  const out = stdoutSync() as DestinationStream & { lastLevel: number };
  const other = extra as DestinationStream & { lastLevel?: number };
  const tee = {
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 30,
    write(line: string) {
      out.lastLevel = tee.lastLevel;
      other.lastLevel = tee.lastLevel;
      out.write(line);
      other.write(line);
    },
  };
  return tee;
}
