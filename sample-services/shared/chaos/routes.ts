import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ALLOWED_HOSTS_ENV, checkControlRequest, parseHostList } from '../../../scripts/core/control-guard.ts';
import type { FaultManager } from './fault-manager.ts';
import { ChaosInputError } from './types.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Guards an operator-only route: loopback callers only (chaos), then what every control surface
 * checks (scripts/core/control-guard.ts): the sandbox's token, Host and Origin, a JSON body.
 * Runs before the body is read, so a refused request changes nothing.
 */
export function operatorGuard(token: string | undefined, options: { loopbackOnly: boolean; extraHosts?: readonly string[] }) {
  const policy = { token, extraHosts: options.extraHosts ?? parseHostList(process.env[ALLOWED_HOSTS_ENV]) };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.loopbackOnly && !LOOPBACK.has(request.socket.remoteAddress ?? '')) {
      return reply.code(403).send({ error: 'the chaos API answers loopback callers only' });
    }
    const refusal = checkControlRequest(request.headers, policy);
    if (refusal) return reply.code(refusal.status).send({ error: refusal.error });
    return undefined;
  };
}

/** POST/GET/DELETE /chaos/faults: the fault injector's way into this process. */
export function registerChaosRoutes(app: FastifyInstance, faults: FaultManager, token: string | undefined): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', operatorGuard(token, { loopbackOnly: true }));
    scope.post('/chaos/faults', async (request, reply) => {
      try {
        const { status, fault } = await faults.inject(request.body ?? {});
        return reply.code(status).send(fault);
      } catch (e) {
        if (e instanceof ChaosInputError) return reply.code(400).send({ error: e.message });
        throw e;
      }
    });
    scope.get('/chaos/faults', async () => faults.list());
    scope.delete<{ Params: { id: string } }>('/chaos/faults/:id', async (request, reply) => {
      const found = await faults.clear(request.params.id, 'deleted');
      return found ? reply.code(204).send() : reply.code(404).send({ error: `no active fault with id "${request.params.id}"` });
    });
    scope.delete('/chaos/faults', async (_request, reply) => {
      await faults.clearAll('deleted');
      return reply.code(204).send();
    });
  });
}
