import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBody } from '../errors.js';
import { errorSchema } from '../schemas/common.js';
import type { Services } from '../services.js';

const ok = z.object({ status: z.literal('ok') });

export function healthRoutes(app: FastifyInstance, services: Services): void {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'The process is up', response: { 200: ok, 503: errorSchema } } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { schema: { tags: ['ops'], summary: 'The database is reachable', response: { 200: ok, 503: errorSchema } } }, async (request, reply) => {
    try {
      await services.store.ping();
      return { status: 'ok' as const };
    } catch (error) {
      request.log.error({ err: error }, 'readiness check failed');
      return reply.status(503).send(errorBody('not_ready', 'database unreachable'));
    }
  });
}
