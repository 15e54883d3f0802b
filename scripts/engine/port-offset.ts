import { SandboxError } from '../core/errors.ts';
import { isPortFree } from '../runtime/processes/ports.ts';
import { isUsableOffset, portPlan } from '../stack/catalog.ts';
import { shardOffsets } from './open-sandboxes.ts';

/**
 * A port offset whose every sandbox port (and every shard's, for `sandboxes` side by side) is
 * free right now and usable by fetch(), so test files can each run their own sandbox beside one
 * another and beside a developer's sandbox on the default ports. Offsets stay below Linux's
 * ephemeral range (32768 and up, where an outgoing connection may take a port between this check
 * and a sandbox's bind): the highest base port is about 9402, plus the offset, plus up to 300 for shards.
 */
export async function freePortOffset(options: { sandboxes?: number; random?: () => number } = {}): Promise<number> {
  const shards = Math.max(1, options.sandboxes ?? 1);
  const random = options.random ?? Math.random;
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 1000 + Math.floor(random() * 220) * 100;
    if (!isUsableOffset(offset)) continue;
    const offsets = shardOffsets(offset, shards);
    const ports = offsets.flatMap((o) => portPlan(o).all());
    const free = await Promise.all(ports.map((p) => isPortFree(p.port)));
    if (free.every(Boolean)) return offset;
  }
  throw new SandboxError('PORT_IN_USE', 'no port offset with every sandbox port free, in 50 tries', {
    hint: 'too many sandboxes or other listeners on this machine: stop some (`npx sandbox down`), or give --port-offset yourself',
  });
}
