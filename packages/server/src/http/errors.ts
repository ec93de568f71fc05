/**
 * One error handler maps everything to `{error:{code, message}}`. Expected outcomes become AppErrors with a fitting
 * status; anything else is a 500 whose details go to the log only (no stack, no upstream body, no secret).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError, GatewayRequestError, LoginRejectedError } from '../ports/gateway.js';

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export type ErrorBody = { error: { code: string; message: string } };

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

function mapFastifyError(error: FastifyError): AppError | undefined {
  if (error.validation !== undefined || error.code === 'FST_ERR_VALIDATION') return new AppError(400, 'invalid_request', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(413, 'payload_too_large', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // The API's bodies are JSON (WeChat's notification routes take their own formats and never get here): say so.
      return new AppError(415, 'unsupported_media_type', 'unsupported content type: send the body as JSON with the header content-type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(400, 'invalid_json', 'body is not valid JSON');
    default:
      break;
  }
  if (error.statusCode === 429) return new AppError(429, 'rate_limited', 'too many requests; slow down');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(error.statusCode, 'bad_request', 'the request could not be processed');
  }
  return undefined;
}

/**
 * `notFound: false` leaves unmatched paths to the enclosing context (wxpayKit mounted without a prefix shares the
 * host's root, whose 404 answer is the host's to choose).
 */
export function installErrorHandling(app: FastifyInstance, options: { notFound?: boolean } = {}): void {
  app.setErrorHandler((error, request, reply) => {
    let mapped: AppError;
    if (error instanceof AppError) mapped = error;
    else if (error instanceof LoginRejectedError) mapped = new AppError(401, 'invalid_code', 'the login code is invalid, expired or used');
    else if (error instanceof GatewayRequestError) {
      // Our request was invalid before it left: WeChat is fine, retrying unchanged cannot help. A bug to fix, alerted.
      request.log.error({ code: error.code, field: error.field, alert: true }, 'payment request refused locally');
      mapped = new AppError(500, 'invalid_payment_request', 'the payment request could not be built; nothing was sent to WeChat');
    } else if (error instanceof GatewayError) {
      request.log.warn({ code: error.code, retriable: error.retriable }, 'WeChat request failed');
      mapped = new AppError(503, 'payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly');
    } else {
      mapped = mapFastifyError(error as FastifyError) ?? new AppError(500, 'internal_error', 'something went wrong on our side');
      if (mapped.statusCode >= 500) request.log.error({ err: error }, 'unhandled error');
    }
    if (mapped.statusCode === 503) void reply.header('retry-after', '5');
    return reply.status(mapped.statusCode).type('application/json; charset=utf-8').send(errorBody(mapped.code, mapped.message));
  });
  if (options.notFound ?? true) app.setNotFoundHandler((_request, reply) => reply.status(404).send(errorBody('not_found', 'no such resource')));
}
