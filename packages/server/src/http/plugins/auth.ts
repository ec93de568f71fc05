/** Bearer-token authentication for /api. A missing, unknown or expired token is 401, always the same answer. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    openid: string;
    /** The merchant (mini program) the session logged in to (issue 16). */
    merchantId: string;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/.exec(header.trim());
  return match?.[1];
}

export function requireUser(sessions: SessionService) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request);
    const user = token === undefined ? undefined : await sessions.authenticate(token);
    if (user === undefined) throw new AppError(401, 'unauthorized', 'a valid bearer token is required (POST /api/login)');
    request.openid = user.openid;
    request.merchantId = user.merchantId;
  };
}
