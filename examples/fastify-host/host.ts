/**
 * A shop's own Fastify backend with the wxpay-kit merchant server mounted under /pay. The shop keeps its routes, its
 * error format and its validator; wxpayKit brings login, orders, WeChat's notifications and the background jobs, and
 * hands each paid order to the shop's fulfilment (onEvent) at least once.
 */
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { serverOptions, wxpayKit } from '@wxpay-kit/server';
import type { AppConfig, AppDeps, FulfilmentHook } from '@wxpay-kit/server';

export type Shipment = { orderId: string; livemode: boolean };

export async function buildHost(config: AppConfig, deps: AppDeps = {}): Promise<FastifyInstance> {
  // Server-level options belong to the host: the same body limit, TRUST_PROXY and timeouts as `npm start`.
  const app = Fastify({ ...(deps.logger === undefined ? { logger: { level: config.logLevel } } : { loggerInstance: deps.logger }), ...serverOptions(config) });

  // The shop's own conventions: wxpayKit's routes keep theirs ({error:{code,message}}), these keep this one.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'shop route failed');
    return reply.status(status).send({ ok: false, reason: status >= 500 ? 'internal error' : error.message });
  });
  app.get('/', async () => ({ shop: 'Tea & Stickers', pay: '/pay/api', docs: '/pay/docs' }));
  app.post(
    '/newsletter',
    { schema: { body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' } } } } },
    async (request) => ({ ok: true, subscribed: (request.body as { email: string }).email }),
  );

  // Fulfilment: a real shop ships here (idempotently: an event can come twice). Sandbox events carry livemode:false.
  const shipments = new Map<string, Shipment>();
  const fulfil: FulfilmentHook = async (event) => {
    if (event.topic === 'order.paid') shipments.set(event.orderId, { orderId: event.orderId, livemode: event.livemode });
  };
  app.get('/shipments', async () => ({ shipments: [...shipments.values()] }));

  await app.register(wxpayKit, { onEvent: fulfil, ...deps, config, prefix: '/pay', jobs: true });
  return app;
}
