// One set of inputs for every implementation: keys generated at start (never stored), a unifiedorder, a payment
// notification signed by WeChat's rule (MD5 and HMAC-SHA256), a refund req_info, and a v3 notification signed with a
// "platform" key (by the package's testing helper, as WeChat would) and encrypted with the APIv3 key. The bare
// node:crypto implementation verifies every fixture independently before anything is timed.
import { createPrivateKey, createPublicKey, createCipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import { signV3Response } from '@wxpay-kit/wechat/testing';
import type { KeyObject } from 'node:crypto';
import { bareBuildXml, bareEncryptReqInfo, bareRefundKey, bareSignV2 } from './bare.js';

export type Fixtures = ReturnType<typeof makeFixtures>;

function rsaPair(): { privatePem: string; publicPem: string; privateKey: KeyObject; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey, privateKey: createPrivateKey(privateKey), publicKey: createPublicKey(publicKey) };
}

export function makeFixtures() {
  const appid = 'wx8888888888888888';
  const mchid = '1900000001';
  // 32-character keys, as WeChat issues them; random per run so nothing depends on a fixed secret.
  const apiKey = randomBytes(16).toString('hex');
  const apiV3Key = randomBytes(16).toString('hex');
  const merchant = rsaPair();
  const platform = rsaPair();
  const merchantSerial = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
  const platformSerial = 'PUB_KEY_ID_0000000000000024101100397200000006';

  const unifiedOrder: Record<string, string | number> = {
    appid,
    mch_id: mchid,
    nonce_str: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
    body: '腾讯充值中心-QQ会员充值',
    attach: 'order-7d1c',
    out_trade_no: '20261126183000000001',
    total_fee: 888,
    spbill_create_ip: '123.12.12.123',
    time_start: '20261126183000',
    time_expire: '20261126190000',
    notify_url: 'https://shop.example.com/wxpay/notify/payment',
    trade_type: 'JSAPI',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  };

  const notificationFields: Record<string, string> = {
    return_code: 'SUCCESS',
    appid,
    mch_id: mchid,
    nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
    result_code: 'SUCCESS',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    is_subscribe: 'N',
    trade_type: 'JSAPI',
    bank_type: 'CMC',
    total_fee: '888',
    fee_type: 'CNY',
    cash_fee: '888',
    transaction_id: '4200000000202611261830000001',
    out_trade_no: '20261126183000000001',
    attach: 'order-7d1c',
    time_end: '20261126183512',
  };
  // WeChat sends no sign_type in payment notifications: the algorithm is the order's.
  const notifyMd5 = bareBuildXml({ ...notificationFields, sign: bareSignV2(notificationFields, apiKey, 'MD5') });
  const notifyHmac = bareBuildXml({ ...notificationFields, sign: bareSignV2(notificationFields, apiKey, 'HMAC-SHA256') });

  const refundFields: Record<string, string> = {
    transaction_id: '4200000000202611261830000001',
    out_trade_no: '20261126183000000001',
    refund_id: '50000000382019052709732678859',
    out_refund_no: 'R20261126190000000001',
    total_fee: '888',
    refund_fee: '888',
    settlement_refund_fee: '888',
    refund_status: 'SUCCESS',
    success_time: '2026-11-26 19:00:05',
    refund_recv_accout: '支付用户的零钱',
    refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
    refund_request_source: 'API',
  };
  const reqInfo = bareEncryptReqInfo(bareBuildXml(refundFields, 'root'), bareRefundKey(apiKey));

  const prepayId = 'wx201410272009395522657a690389285100';
  const timeStamp = '1764152400';
  const nonceStr = '5K8264ILTKCH16CQ2502SI8ZNMTM67VS';

  const v3Body = JSON.stringify({
    appid, mchid, description: 'Image形象店-深圳腾大-QQ公仔', out_trade_no: '1217752501201407033233368018',
    notify_url: 'https://shop.example.com/wxpay/notify/payment', amount: { total: 100, currency: 'CNY' }, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  });
  const v3Request = { method: 'POST', url: '/v3/pay/transactions/jsapi', body: v3Body, timestamp: timeStamp, nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' };

  const transaction = {
    appid, mchid, out_trade_no: '1217752501201407033233368018', transaction_id: '4200000000202611261830000001',
    trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'CMC', attach: '',
    success_time: '2026-11-26T18:35:12+08:00', payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
  };
  const gcmNonce = 'fdasflkja484';
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'latin1'), Buffer.from(gcmNonce, 'latin1'));
  cipher.setAAD(Buffer.from('transaction'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const v3NotifyBody = JSON.stringify({
    id: 'EV-2018022511223320873', create_time: '2026-11-26T18:35:13+08:00', resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: sealed.toString('base64'), associated_data: 'transaction', nonce: gcmNonce },
  });
  const v3NotifyTimestamp = timeStamp;
  const v3NotifyNonce = 'EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz';
  const signed = signV3Response({
    body: v3NotifyBody, platformKey: platform.privateKey, serial: platformSerial, timestamp: Number(v3NotifyTimestamp), nonce: v3NotifyNonce,
  });
  const v3NotifyHeaders = {
    timestamp: signed['Wechatpay-Timestamp'],
    nonce: signed['Wechatpay-Nonce'],
    serial: signed['Wechatpay-Serial'],
    signature: signed['Wechatpay-Signature'],
  };

  return {
    appid, mchid, apiKey, apiV3Key, merchant, platform, merchantSerial, platformSerial,
    unifiedOrder, notificationFields, notifyMd5, notifyHmac, refundFields, reqInfo,
    prepayId, timeStamp, nonceStr, v3Request, transaction, v3NotifyBody, v3NotifyHeaders,
  };
}
