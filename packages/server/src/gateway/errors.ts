/** packages/wechat errors → the domain's GatewayError: what the domain can act on, no wire details. */
import { WxPayError, WxPayNetworkError, WxPayValidationError } from '@wxpay-kit/wechat';
import { GatewayError, GatewayRequestError } from '../ports/gateway.js';

/** A local validation failure (nothing was sent) is a GatewayRequestError; anything else a GatewayError. */
export function toGatewayError(error: unknown, operation: string): GatewayError | GatewayRequestError {
  if (error instanceof GatewayError || error instanceof GatewayRequestError) return error;
  if (error instanceof WxPayValidationError) return new GatewayRequestError(`${operation}: ${error.message}`, { field: error.field, cause: error });
  if (error instanceof WxPayError) {
    const code = error.code ?? error.name;
    return new GatewayError(code, `${operation}: ${error.message}`, {
      retriable: error.retriable,
      outcomeUnknown: error instanceof WxPayNetworkError ? error.outcomeUnknown : false,
      cause: error,
    });
  }
  return new GatewayError('UNEXPECTED', `${operation} failed`, { cause: error });
}
