// The same operations through the public npm SDKs, called the way each one calls them internally (their own sign,
// XML, verify and decrypt functions). Where an SDK has no such operation the case is left out and reported "n/a".
// Where an SDK only offers primitives (wechatpay-axios-plugin composes pay params in its README), we compose them the
// way its documentation shows.
import Tenpay from 'tenpay';
import tenpayUtil from 'tenpay/lib/util.js';
import { Aes, Formatter, Hash, Rsa, Transformer } from 'wechatpay-axios-plugin';
import WxPayV3 from 'wechatpay-node-v3';
import type { Fixtures } from './fixtures.js';
import type { Fields, PayParams, V3NotificationHeaders } from './bare.js';

export type Impl<I, O> = (input: I) => O | Promise<O>;

/** The protected parts of wechatpay-node-v3 that its own JSAPI pay-params and verify code use. */
type NodeV3Internals = { sign(text: string): string };
type NodeV3Static = { certificates: Record<string, string> };

export function makeOthers(fx: Fixtures) {
  const tenpay = new Tenpay({ appid: fx.appid, mchid: fx.mchid, partnerKey: fx.apiKey, notify_url: 'https://shop.example.com/n' });
  const tenpayRefundKey = tenpayUtil.md5(fx.apiKey).toLowerCase();

  const axiosMerchantKey = Rsa.from(fx.merchant.privatePem, 'private');
  const axiosPlatformKey = Rsa.from(fx.platform.publicPem, 'public');

  const nodeV3 = new WxPayV3({
    appid: fx.appid, mchid: fx.mchid, serial_no: fx.merchantSerial,
    publicKey: Buffer.from(fx.platform.publicPem), privateKey: Buffer.from(fx.merchant.privatePem), key: fx.apiV3Key,
  });
  // Its verifier looks the key up in a static map filled from /v3/certificates; fill it as that download would.
  (WxPayV3 as unknown as NodeV3Static).certificates[fx.platformSerial] = fx.platform.publicPem;

  return {
    tenpay: {
      signRequest: (signType: 'MD5' | 'HMAC-SHA256'): Impl<Record<string, string | number>, string> => (params) => {
        const withType = { ...params, sign_type: signType };
        return tenpayUtil.buildXML({ ...withType, sign: tenpay._getSign(withType, signType) });
      },
      // Its Koa/Express middleware path: parse with xml2js, check appid/mch_id, verify (sign_type or MD5 assumed).
      notification: (xml: string): Promise<Fields> => tenpay._parse(xml, 'middleware_pay'),
      payParams: (prepayId: string, signType: 'MD5' | 'HMAC-SHA256'): PayParams => {
        const p = tenpay.getPayParamsByPrepay({ prepay_id: prepayId }, signType);
        return { timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType: p.signType, paySign: p.paySign };
      },
      reqInfo: async (reqInfo: string): Promise<Fields> => tenpayUtil.parseXML(tenpayUtil.decrypt(reqInfo, tenpayRefundKey)),
    },
    axios: {
      signRequest: (signType: 'MD5' | 'HMAC-SHA256'): Impl<Record<string, string | number>, string> => (params) => {
        const withType = { ...params, sign_type: signType };
        return Transformer.toXml({ ...withType, sign: Hash.sign(signType, withType, fx.apiKey) });
      },
      // Its response pipeline: fast-xml-parser, then the signature, algorithm told by its length.
      notification: (xml: string): Fields | undefined => {
        const data = Transformer.toObject(xml) as Fields;
        const sign = data.sign;
        const type = sign !== undefined && sign.length === 64 ? 'HMAC-SHA256' : 'MD5';
        return Hash.equals(Hash.sign(type, data, fx.apiKey), sign) ? data : undefined;
      },
      payParams: (prepayId: string, signType: 'MD5' | 'HMAC-SHA256'): PayParams => {
        const p = { appId: fx.appid, timeStamp: fx.timeStamp, nonceStr: fx.nonceStr, package: `prepay_id=${prepayId}`, signType };
        return { timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType, paySign: Hash.sign(signType, p, fx.apiKey) };
      },
      reqInfo: (reqInfo: string): Fields => {
        const plain = Aes.AesEcb.decrypt(reqInfo, Hash.md5(fx.apiKey));
        return Transformer.toObject(plain) as Fields;
      },
      authorization: (r: Fixtures['v3Request']): string => {
        const signature = Rsa.sign(Formatter.request(r.method, r.url, r.timestamp, r.nonce, r.body), axiosMerchantKey);
        return Formatter.authorization(fx.mchid, r.nonce, signature, r.timestamp, fx.merchantSerial);
      },
      v3Notification: (n: { headers: V3NotificationHeaders; body: string }): unknown => {
        if (n.headers.serial !== fx.platformSerial) throw new Error('unknown serial');
        if (!Rsa.verify(Formatter.response(n.headers.timestamp, n.headers.nonce, n.body), n.headers.signature, axiosPlatformKey)) {
          throw new Error('bad signature');
        }
        const { resource } = JSON.parse(n.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } };
        return JSON.parse(Aes.AesGcm.decrypt(resource.ciphertext, fx.apiV3Key, resource.nonce, resource.associated_data));
      },
      v3PayParams: (prepayId: string): PayParams => {
        const pkg = `prepay_id=${prepayId}`;
        const paySign = Rsa.sign(Formatter.joinedByLineFeed(fx.appid, fx.timeStamp, fx.nonceStr, pkg), axiosMerchantKey);
        return { timeStamp: fx.timeStamp, nonceStr: fx.nonceStr, package: pkg, signType: 'RSA', paySign };
      },
    },
    nodeV3: {
      authorization: (r: Fixtures['v3Request']): string =>
        nodeV3.getAuthorization(r.nonce, r.timestamp, nodeV3.getSignature(r.method, r.nonce, r.timestamp, r.url, r.body)),
      v3Notification: async (n: { headers: V3NotificationHeaders; body: string }): Promise<unknown> => {
        const ok = await nodeV3.verifySign({ ...n.headers, body: n.body });
        if (!ok) throw new Error('bad signature');
        const { resource } = JSON.parse(n.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } };
        return nodeV3.decipher_gcm(resource.ciphertext, resource.associated_data, resource.nonce, fx.apiV3Key);
      },
      // What its transactions_jsapi does after the prepay call, with our timestamp and nonce for comparability.
      v3PayParams: (prepayId: string): PayParams => {
        const pkg = `prepay_id=${prepayId}`;
        const paySign = (nodeV3 as unknown as NodeV3Internals).sign([fx.appid, fx.timeStamp, fx.nonceStr, pkg, ''].join('\n'));
        return { timeStamp: fx.timeStamp, nonceStr: fx.nonceStr, package: pkg, signType: 'RSA', paySign };
      },
    },
  };
}
