/** packages/wechat errors → the domain's GatewayError: what the domain can act on, no wire details. */
import { WxPayError, WxPayNetworkError } from '@wxpay-kit/wechat';
import { GatewayError } from '../ports/gateway.js';

export function toGatewayError(error: unknown, operation: string): GatewayError {
  if (error instanceof GatewayError) return error;
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
