import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxError } from '../core/errors.ts';

/**
 * Write a report into the report dir: create the dir, write a temporary file beside the target,
 * then rename. A CI job that collects reports after a crash or Ctrl-C finds either the previous
 * complete file or the new one, never a truncated one.
 */
export async function writeReportFile(dir: string, fileName: string, content: string): Promise<string> {
  const target = join(dir, fileName);
  const temp = join(dir, `.${fileName}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, content, 'utf8');
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new SandboxError('WRITE_FAILED', `cannot write ${target}: ${(e as Error).message}`, {
      hint: 'give --report-dir a directory this user can create and write',
      cause: e,
    });
  }
  return target;
}
