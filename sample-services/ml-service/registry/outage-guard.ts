import { connectionRefused } from '../../shared/chaos/faults/dependency-outage.ts';
import type { ModelRegistryBackend } from './backend.ts';

export const REGISTRY_DEPENDENCY = 'model-registry';

/** The registry as seen through a possible dependency-outage fault: every call fails while it is down. */
export function withOutage(backend: ModelRegistryBackend, isDown: () => boolean): ModelRegistryBackend {
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (isDown()) throw connectionRefused(REGISTRY_DEPENDENCY);
      return fn(...args);
    };
  return {
    description: backend.description,
    listVersions: guard(() => backend.listVersions()),
    getModel: guard((v: string) => backend.getModel(v)),
    putModel: guard((m) => backend.putModel(m)),
    readDeployments: guard(() => backend.readDeployments()),
    writeDeployments: guard((s) => backend.writeDeployments(s)),
  };
}
