/**
 * The PaymentGateway and LoginGateway of a merchant stored as data: one SDK client per merchant, with its own keys,
 * certificates and verifier, nothing shared with another merchant's (a bad key fails here, when the merchant is
 * loaded, not at its first payment).
 */
import { ConfigError } from '../config.js';
import type { GatewayExtras } from '../gateway/create.js';
import { WeChatLoginGateway } from '../gateway/login.js';
import { V2Gateway } from '../gateway/v2-gateway.js';
import { V3Gateway } from '../gateway/v3-gateway.js';
import { V3PartnerGateway } from '../gateway/v3-partner-gateway.js';
import type { LoginGateway, PaymentGateway } from '../ports/gateway.js';
import type { Merchant } from './merchant.js';

export type MerchantHosts = { wechatApiBase?: string | undefined; wxpayApiBase?: string | undefined };

export function createMerchantGateways(m: Merchant, hosts: MerchantHosts, extras: GatewayExtras = {}): { gateway: PaymentGateway; login: LoginGateway } {
  const login = new WeChatLoginGateway({ appid: m.appid, secret: m.secrets.appSecret, baseUrl: hosts.wechatApiBase });
  const common = {
    appid: m.appid,
    mchid: m.mchid,
    baseUrl: hosts.wxpayApiBase,
    ...(extras.clock === undefined ? {} : { clock: extras.clock }),
    ...(extras.sleep === undefined ? {} : { sleep: extras.sleep }),
  };
  if (m.apiVersion === 'v2') {
    if (m.secrets.apiKey === undefined) throw new ConfigError('merchants', `merchant ${m.id}: v2 needs apiKey`);
    const clientCert = m.secrets.clientCertPem !== undefined && m.secrets.clientKeyPem !== undefined ? { cert: m.secrets.clientCertPem, key: m.secrets.clientKeyPem } : extras.clientCert;
    if (m.payMode === 'partner') {
      // The provider's appid, mch_id, API key and client certificate; the sub-merchant's number and mini program.
      const { spAppid } = m.settings;
      if (spAppid === undefined || m.subMchid === undefined) throw new ConfigError('merchants', `merchant ${m.id}: partner mode needs spAppid and subMchid`);
      try {
        return { gateway: new V2Gateway({ ...common, appid: spAppid, apiKey: m.secrets.apiKey, clientCert, partner: { subMchid: m.subMchid, subAppid: m.appid } }), login };
      } catch (error) {
        throw new ConfigError('merchants', `merchant ${m.id}: invalid ${(error as { field?: string }).field ?? 'key material'}`);
      }
    }
    return { gateway: new V2Gateway({ ...common, apiKey: m.secrets.apiKey, clientCert }), login };
  }
  const { apiV3Key, privateKeyPem } = m.secrets;
  const { certSerial, publicKeyId, publicKeyPem } = m.settings;
  if (apiV3Key === undefined || privateKeyPem === undefined || certSerial === undefined) throw new ConfigError('merchants', `merchant ${m.id}: v3 needs apiV3Key, privateKeyPem and certSerial`);
  const publicKey = publicKeyId !== undefined && publicKeyPem !== undefined ? { id: publicKeyId, key: publicKeyPem } : undefined;
  const platformCertificates = m.settings.platformCertificates ?? publicKey === undefined;
  try {
    if (m.payMode === 'partner') {
      // The provider's keys, the sub-merchant's number and mini program.
      const { spAppid } = m.settings;
      if (spAppid === undefined || m.subMchid === undefined) throw new ConfigError('merchants', `merchant ${m.id}: partner mode needs spAppid and subMchid`);
      const gateway = new V3PartnerGateway({
        spAppid, spMchid: m.mchid, subMchid: m.subMchid, subAppid: m.appid, apiV3Key, privateKey: privateKeyPem, certSerial, publicKey, platformCertificates,
        baseUrl: hosts.wxpayApiBase, ...(extras.clock === undefined ? {} : { clock: extras.clock }), ...(extras.sleep === undefined ? {} : { sleep: extras.sleep }),
      });
      return { gateway, login };
    }
    return {
      gateway: new V3Gateway({ ...common, apiV3Key, privateKey: privateKeyPem, certSerial, publicKey, platformCertificates: m.settings.platformCertificates ?? publicKey === undefined }),
      login,
    };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // The SDK names the bad field; never the value.
    const field = (error as { field?: string }).field ?? 'key material';
    throw new ConfigError('merchants', `merchant ${m.id}: invalid ${field}`);
  }
}
