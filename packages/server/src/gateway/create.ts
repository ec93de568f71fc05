/** Picks the PaymentGateway and LoginGateway for the configured API version. */
import type { AppConfig, MerchantConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { LoginGateway, PaymentGateway } from '../ports/gateway.js';

export function createGateways(config: AppConfig, merchant: MerchantConfig): { gateway: PaymentGateway; login: LoginGateway } {
  void merchant;
  throw new ConfigError('WXPAY_API_VERSION', `${config.apiVersion} gateway not available yet`);
}
