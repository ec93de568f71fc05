import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../schemas/common.js';
import { loginBody, loginResponse, productsResponse } from '../schemas/auth.js';
import type { RateLimits, Services } from '../services.js';
import type { z } from 'zod';

export function authRoutes(app: FastifyInstance, services: Services, limits: RateLimits): void {
  app.post<{ Body: z.infer<typeof loginBody> }>(
    '/api/login',
    {
      config: { rateLimit: limits.login },
      schema: {
        tags: ['session'],
        summary: 'Exchange a wx.login() code for a bearer token',
        body: loginBody,
        response: { 200: loginResponse, 400: errorSchema, 401: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const session = await services.sessions.login(request.body.code);
      return { token: session.token, expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  app.get(
    '/api/products',
    { schema: { tags: ['catalogue'], summary: 'The catalogue; prices in fen', response: { 200: productsResponse } } },
    async () => {
      const products = await services.store.listProducts();
      return { products: products.map((p) => ({ sku: p.sku, name: p.name, price: p.priceFen })) };
    },
  );
}
