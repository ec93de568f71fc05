/**
 * Merchants for the operator (issue 16): list them (public fields only) and add one. A new merchant's credentials
 * are tried against WeChat (or the sandbox) before anything is saved — a login probe with a made-up code must be
 * refused as an invalid code (not an invalid secret), and a query for a made-up order must be answered "order does
 * not exist" (signed with its key, accepted by WeChat) — so a typo is a 422 now, not a failed payment later. The
 * answer never repeats a credential, and no log line carries one.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ConfigError } from '../../config.js';
import { merchantFromInput, merchantInput } from '../../merchants/merchant.js';
import type { MerchantServices } from '../../merchants/registry.js';
import { LoginRejectedError } from '../../ports/gateway.js';
import { errorSummary } from '../../domain/payment-service.js';
import { AppError } from '../errors.js';
import { adminMerchantList, adminMerchantResponse } from '../schemas/admin-merchants.js';
import { errorSchema } from '../schemas/common.js';
import type { Services } from '../services.js';

function probeId(): string {
  return `wxpaykitcheck${randomBytes(8).toString('hex')}`;
}

/** Undefined when the credentials work; otherwise what failed, in words that name no secret. */
async function checkCredentials(merchant: MerchantServices): Promise<string | undefined> {
  try {
    await merchant.sessions.probeLogin(probeId());
    return 'WeChat accepted a made-up login code';
  } catch (error) {
    if (!(error instanceof LoginRejectedError && error.code === '40029')) return `appSecret: the login probe was refused (${error instanceof LoginRejectedError ? error.code : errorSummary(error).slice(0, 120)}); check appid and appSecret`;
  }
  try {
    const answer = await merchant.gateway.queryPayment(probeId());
    if (answer.state !== 'NOT_FOUND') return `a made-up order was found (${answer.state})`;
  } catch (error) {
    return `payment keys: a query for a made-up order was refused (${errorSummary(error).slice(0, 160)}); check mchid and the ${merchant.summary.apiVersion} keys`;
  }
  return undefined;
}

export function adminMerchantRoutes(app: FastifyInstance, services: Services, guard: (request: FastifyRequest) => Promise<void>): void {
  app.get(
    '/admin/merchants',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Every merchant this server serves, the first (the environment\'s) first; never a secret. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        response: { 200: adminMerchantList, 401: errorSchema, 404: errorSchema },
      },
    },
    async () => ({ merchants: await services.merchants.summaries() }),
  );

  app.post<{ Body: z.infer<typeof merchantInput> }>(
    '/admin/merchants',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Add a merchant: its credentials are checked against WeChat before they are saved (encrypted). Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        body: merchantInput,
        response: { 201: adminMerchantResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 422: errorSchema },
      },
    },
    async (request, reply) => {
      const merchant = merchantFromInput(request.body, services.clock.now());
      let built: MerchantServices;
      try {
        built = services.merchants.build(merchant);
      } catch (error) {
        if (error instanceof ConfigError) throw new AppError(422, 'invalid_credentials', error.message);
        throw error;
      }
      const problem = await checkCredentials(built);
      if (problem !== undefined) {
        request.log.warn({ merchantId: merchant.id, problem }, 'merchant credentials refused');
        throw new AppError(422, 'invalid_credentials', problem);
      }
      const added = await services.merchants.add(merchant, built);
      if (!added.ok) {
        if (added.reason === 'no_store') throw new AppError(409, 'not_supported', 'merchants need the SQL store');
        throw new AppError(409, 'merchant_exists', 'a merchant with this id or appid exists');
      }
      request.log.info({ merchantId: merchant.id, apiVersion: merchant.apiVersion, payMode: merchant.payMode }, 'merchant added');
      void reply.status(201);
      return { merchant: added.merchant.summary };
    },
  );
}
