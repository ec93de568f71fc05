// wxpay-kit's own implementations of each micro operation, through the package's public entry point.
import { buildV2PayParams, buildXml, parseXml, signV2, verifyV2Sign } from '@wxpay-kit/wechat';
import type { Fixtures } from './fixtures.js';
import type { Fields, PayParams } from './bare.js';

export function makeOurs(fx: Fixtures) {
  return {
    signRequest: (signType: 'MD5' | 'HMAC-SHA256') => (params: Record<string, string | number>): string =>
      buildXml({ ...params, sign: signV2(params, fx.apiKey, signType) }),
    notification: (xml: string): Fields | undefined => {
      const fields = parseXml(xml);
      return verifyV2Sign(fields, fx.apiKey) ? fields : undefined;
    },
    payParams: (prepayId: string, signType: 'MD5' | 'HMAC-SHA256'): PayParams =>
      buildV2PayParams({ appid: fx.appid, prepayId, apiKey: fx.apiKey, signType, nonceStr: fx.nonceStr, timeStamp: fx.timeStamp }),
  };
}
