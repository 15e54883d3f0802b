import { existsSync, readFileSync, statSync, watch } from 'node:fs';
import { SandboxError } from '../../core/errors.ts';
import { allComponentNames, replicaInstanceNames } from '../../stack/catalog.ts';
import { layoutFrom, type GlobalOptions } from '../context.ts';

/** `sandbox logs <component>`: print (and with --follow, keep printing) a component's log. */
export async function logsCommand(component: string, opts: GlobalOptions & { follow?: boolean; lines?: string }): Promise<number> {
  // Scale-out replicas (ml-service-2, ...) log to files of their own.
  const known = [...allComponentNames(), ...replicaInstanceNames(), 'host', 'reaper'];
  if (!known.includes(component)) {
    throw new SandboxError('UNKNOWN_COMPONENT', `unknown component "${component}"`, { hint: `components: ${known.join(', ')}` });
  }
  const file = layoutFrom(opts).logFile(component);
  if (!existsSync(file)) {
    throw new SandboxError('NO_SANDBOX_RUNNING', `no log for ${component} yet (${file})`, { hint: 'start the sandbox with `npm run sandbox`' });
  }
  const lines = Number(opts.lines ?? 200);
  process.stdout.write(`${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}\n`);
  if (!opts.follow) return 0;
  let offset = statSync(file).size;
  await new Promise<void>((resolve) => {
    const watcher = watch(file, () => {
      const size = statSync(file).size;
      if (size < offset) offset = 0;
      if (size > offset) {
        process.stdout.write(readFileSync(file).subarray(offset, size));
        offset = size;
      }
    });
    process.once('SIGINT', () => {
      watcher.close();
      resolve();
    });
  });
  return 0;
}
