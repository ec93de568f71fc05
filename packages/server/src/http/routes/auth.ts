import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../schemas/common.js';
import { loginBody, loginResponse, productsQuery, productsResponse } from '../schemas/auth.js';
import { AppError } from '../errors.js';
import type { MerchantServices } from '../../merchants/registry.js';
import type { RateLimits, Services } from '../services.js';
import type { z } from 'zod';

export function authRoutes(app: FastifyInstance, services: Services, limits: RateLimits): void {
  /** The merchant whose mini program this appid is; the first merchant's when none is named. */
  async function merchantByAppid(appid: string | undefined): Promise<MerchantServices> {
    if (appid === undefined) return services.merchants.first;
    const merchant = await services.merchants.byAppid(appid);
    if (merchant === undefined) throw new AppError(404, 'unknown_appid', 'no merchant serves this appid');
    return merchant;
  }

  app.post<{ Body: z.infer<typeof loginBody> }>(
    '/api/login',
    {
      config: { rateLimit: limits.login },
      schema: {
        tags: ['session'],
        summary: 'Exchange a wx.login() code for a bearer token',
        body: loginBody,
        response: { 200: loginResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const merchant = await merchantByAppid(request.body.appid);
      const session = await merchant.sessions.login(request.body.code);
      return { token: session.token, expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  app.get<{ Querystring: z.infer<typeof productsQuery> }>(
    '/api/products',
    { schema: { tags: ['catalogue'], summary: 'The catalogue; prices in fen', querystring: productsQuery, response: { 200: productsResponse, 400: errorSchema, 404: errorSchema } } },
    async (request) => {
      const merchant = await merchantByAppid(request.query.appid);
      const products = await services.store.listProducts(merchant.id);
      return { products: products.map((p) => ({ sku: p.sku, name: p.name, price: p.priceFen })) };
    },
  );
}
