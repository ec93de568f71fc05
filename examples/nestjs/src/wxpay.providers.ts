import type { Provider } from '@nestjs/common';
import { createLoginClient, createV3Client, PublicKeyVerifier, type Verifier } from '@wxpay-kit/wechat';
import { createNotifyHandler } from '@wxpay-kit/wechat/nestjs';
import type { ShopConfig } from './config.js';
import type { ShopStore } from './store.js';
import { CONFIG, LOGGER, LOGIN, NOTIFY, PAY, STORE, type Logger } from './tokens.js';

const VERIFIER = Symbol('Verifier');

/** The WeChat clients and the one notification handler, built once from the configuration. */
export const wxpayProviders: Provider[] = [
  {
    provide: VERIFIER,
    inject: [CONFIG],
    useFactory: (config: ShopConfig): Verifier => new PublicKeyVerifier(config.publicKeyId, config.publicKey),
  },
  {
    provide: LOGIN,
    inject: [CONFIG],
    useFactory: (config: ShopConfig) =>
      createLoginClient({ appid: config.appid, secret: config.secret, ...(config.wechatApiBase ? { baseUrl: config.wechatApiBase } : {}) }),
  },
  {
    provide: PAY,
    inject: [CONFIG, VERIFIER],
    useFactory: (config: ShopConfig, verifier: Verifier) =>
      createV3Client({
        appid: config.appid,
        mchid: config.mchid,
        serialNo: config.certSerial,
        privateKey: config.privateKey,
        apiV3Key: config.apiV3Key,
        verifier,
        ...(config.payApiBase ? { baseUrl: config.payApiBase } : {}),
      }),
  },
  {
    // Every rule about notifications (size, headers, ±5 minutes, the serial's key, AES-GCM, our mchid) is in here.
    provide: NOTIFY,
    inject: [CONFIG, VERIFIER, STORE, LOGGER],
    useFactory: (config: ShopConfig, verifier: Verifier, store: ShopStore, logger: Logger) =>
      createNotifyHandler({
        version: 'v3',
        apiV3Key: config.apiV3Key,
        verifier,
        mchid: config.mchid,
        appid: config.appid,
        onNotice: async (notice) => {
          if (notice.kind !== 'payment') return; // this shop does not refund
          const t = notice.payment;
          const outcome = store.applyPayment({
            outTradeNo: t.out_trade_no,
            transactionId: t.transaction_id,
            totalFee: t.amount.total,
            paid: t.trade_state === 'SUCCESS',
            now: Date.now(),
          });
          if (outcome !== 'paid' && outcome !== 'duplicate') logger.warn(`[nest-shop] payment notification for ${t.out_trade_no}: ${outcome}`);
        },
        onProblem: (problem) => logger.warn(`[nest-shop] notification refused: ${problem.reason} (${problem.message})`),
      }),
  },
];
