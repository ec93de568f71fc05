/**
 * The catalogue for the people who run the shop: list, add, change (name, price, active) behind the ADMIN_TOKEN guard
 * of admin.ts. There is no DELETE: orders keep their own copy of name and price, but a product that was sold stays
 * in the table; `active: false` takes it off sale (GET /api/products hides it, new orders of it are refused).
 * Every change is logged once (who: admin, what), never with the token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Product } from '../../domain/pricing.js';
import type { AdminStore } from '../../ports/admin-store.js';
import { AppError } from '../errors.js';
import { adminProductList, adminProductResponse, createProductBody, patchProductBody, productParams } from '../schemas/admin-products.js';
import { errorSchema } from '../schemas/common.js';
import type { Services } from '../services.js';

function present(p: Product) {
  return { sku: p.sku, name: p.name, price: p.priceFen, active: p.active, ...(p.merchantId === undefined ? {} : { merchantId: p.merchantId }), virtual: p.virtual === true };
}

export function adminProductRoutes(app: FastifyInstance, services: Services, admin: AdminStore, guard: (request: FastifyRequest) => Promise<void>): void {
  app.get(
    '/admin/products',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'The whole catalogue by sku, inactive products too. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        response: { 200: adminProductList, 401: errorSchema, 404: errorSchema },
      },
    },
    async () => ({ products: (await admin.listAllProducts()).map(present) }),
  );

  app.post<{ Body: z.infer<typeof createProductBody> }>(
    '/admin/products',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Add a product (price in fen); it is on sale at once. 409 when the sku exists. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        body: createProductBody,
        response: { 201: adminProductResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request, reply) => {
      const merchantId = request.body.merchantId;
      if (merchantId !== undefined && (await services.merchants.get(merchantId)) === undefined) throw new AppError(404, 'not_found', 'no such merchant');
      const product: Product = { sku: request.body.sku, name: request.body.name, priceFen: request.body.price, active: true, merchantId, virtual: request.body.virtual === true };
      if (!(await admin.insertProduct(product, services.clock.now()))) {
        throw new AppError(409, 'product_exists', `a product with sku ${product.sku} exists; change it with PATCH /admin/products/${product.sku}`);
      }
      request.log.info({ who: 'admin', what: 'product.created', sku: product.sku, name: product.name, price: product.priceFen }, 'admin: product created');
      void reply.status(201);
      return { product: present(product) };
    },
  );

  app.patch<{ Params: z.infer<typeof productParams>; Body: z.infer<typeof patchProductBody> }>(
    '/admin/products/:sku',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Change a product’s name, price (fen) or active flag; active:false takes it off sale (products are never deleted). Existing orders keep their names and prices. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        params: productParams,
        body: patchProductBody,
        response: { 200: adminProductResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const updated = await admin.updateProduct(sku, { name: request.body.name, priceFen: request.body.price, active: request.body.active, virtual: request.body.virtual });
      if (updated === undefined) throw new AppError(404, 'not_found', `no product with sku ${sku}`);
      request.log.info({ who: 'admin', what: 'product.updated', sku, changes: request.body }, 'admin: product updated');
      return { product: present(updated) };
    },
  );
}
