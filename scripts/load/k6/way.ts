import type { SandboxError } from '../../core/errors.ts';
import { k6MissingError } from './binary.ts';
import { k6Image } from './image.ts';

/** How the k6 engine runs: the binary on PATH (runner.ts), the k6 image (container.ts), or not at all. */
export type K6Way = { kind: 'binary'; binary: string } | { kind: 'container'; image: string } | { kind: 'missing'; error: SandboxError };

/**
 * Which way to run k6: a k6 binary on PATH always wins (no image to pull, no port forwarding);
 * without one, the docker runtime runs it in the pinned k6 image, since an engine answers there;
 * anywhere else (native, attached) it is the clear BINARY_MISSING error, naming both ways out.
 */
export function chooseK6Way(input: { binary: string | null; runtime: string | undefined }): K6Way {
  if (input.binary) return { kind: 'binary', binary: input.binary };
  if (input.runtime === 'docker') return { kind: 'container', image: k6Image() };
  return { kind: 'missing', error: k6MissingError() };
}
