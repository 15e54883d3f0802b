import { faultParamSchemas } from '../../../../scripts/faults/catalog.ts';
import type { FaultDefinition } from '../types.ts';

/** The slice of ml-service's model manager this fault needs. */
export interface DeployableModels {
  readonly current: { version: string } | undefined;
  versions(): Promise<string[]>;
  deploy(version: string, reason: string): Promise<unknown>;
  on(event: 'deployed', listener: (e: { version: string; reason: string }) => void): unknown;
  off(event: 'deployed', listener: (e: { version: string; reason: string }) => void): unknown;
}

/** A shipped version trained with a label bug: confidently, badly wrong. (v4 emits NaN.) */
export const DEFAULT_BAD_VERSION = 'v3';
const REASON = 'chaos: bad-model';

/**
 * Deploys a real but bad model version, as a broken release would. It ends when cleared (the
 * previous version comes back) or when anyone deploys or rolls back meanwhile (remediation).
 */
export function badModelFault(models: DeployableModels): FaultDefinition<typeof faultParamSchemas['bad-model']> {
  return {
    type: 'bad-model',
    params: faultParamSchemas['bad-model'],
    async check(params) {
      const version = params.version ?? DEFAULT_BAD_VERSION;
      const known = await models.versions();
      return known.includes(version) ? null : `params.version: no model version "${version}" in the registry; known: ${known.join(', ')}`;
    },
    async start(params, ctx) {
      const version = params.version ?? DEFAULT_BAD_VERSION;
      const previous = models.current?.version;
      await models.deploy(version, REASON);
      const onDeployed = (e: { version: string; reason: string }) => {
        if (e.reason !== REASON) ctx.end('remediation');
      };
      models.on('deployed', onDeployed);
      return {
        async stop() {
          models.off('deployed', onDeployed);
          if (previous && models.current?.version === version) await models.deploy(previous, `${REASON} cleared`);
        },
      };
    },
  };
}
