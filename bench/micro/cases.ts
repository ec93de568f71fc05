// The micro operations of issue 8, each with every implementation that has it and a normaliser that turns an output
// into a comparable value (the same parsed fields, a valid signature, the same decrypted object). Outputs are compared
// before anything is timed; an implementation whose output differs is reported, not timed.
import { XMLParser } from 'fast-xml-parser';
import {
  bareDecryptReqInfo, bareParseVerifyNotification, bareRefundKey, bareSignV2, bareSignedRequestXml, bareV2PayParams,
  bareV3Authorization, bareV3Notification, bareV3PayParams,
} from './bare.js';
import type { PayParams } from './bare.js';
import type { Fixtures } from './fixtures.js';
import { makeOthers } from './others.js';
import { makeOurs } from './ours.js';

export const IMPLEMENTATIONS = ['bare node:crypto', 'wxpay-kit', 'tenpay', 'wechatpay-axios-plugin', 'wechatpay-node-v3'] as const;
export type ImplName = (typeof IMPLEMENTATIONS)[number];

export type MicroCase = {
  op: string;
  impls: Partial<Record<ImplName, () => unknown>>;
  /** Turns an output into something deepStrictEqual can compare across implementations. */
  normalize: (output: unknown) => unknown;
};

// An independent parser for comparing request XML that each SDK formats its own way (CDATA or not, indentation).
const referenceXml = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, trimValues: true });
function xmlFields(output: unknown): unknown {
  const doc = referenceXml.parse(String(output)) as { xml?: Record<string, unknown> };
  return doc.xml;
}

function sortedRecord(output: unknown): unknown {
  if (output === undefined || output === null) return output;
  const entries = Object.entries(output as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

function authorizationFields(output: unknown): unknown {
  const header = String(output);
  const [scheme, rest = ''] = header.split(' ', 2);
  const fields: Record<string, string> = {};
  for (const m of rest.matchAll(/(\w+)="([^"]*)"/g)) fields[m[1] ?? ''] = m[2] ?? '';
  return { scheme, ...sortedRecord(fields) as Record<string, string> };
}

export function makeCases(fx: Fixtures): MicroCase[] {
  const others = makeOthers(fx);
  const ours = makeOurs(fx);
  const refundKey = bareRefundKey(fx.apiKey);
  const platformKeys = new Map([[fx.platformSerial, fx.platform.publicKey]]);
  const apiV3Key = Buffer.from(fx.apiV3Key, 'latin1');
  const v3Notice = { headers: fx.v3NotifyHeaders, body: fx.v3NotifyBody };
  const r = fx.v3Request;

  // v2 pay params: tenpay picks its own timestamp and nonce, so compare what matters: the package, the sign type and
  // whether paySign is right for the fields it returned.
  const v2PayNormalize = (signType: 'MD5' | 'HMAC-SHA256') => (output: unknown): unknown => {
    const p = output as PayParams;
    const expected = bareSignV2({ appId: fx.appid, timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType: p.signType }, fx.apiKey, signType);
    return { package: p.package, signType: p.signType, paySignValid: p.paySign === expected };
  };

  const cases: MicroCase[] = [];
  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    const params = { ...fx.unifiedOrder, sign_type: signType };
    cases.push({
      op: `v2 sign ${signType} + request XML (unifiedorder)`,
      normalize: xmlFields,
      impls: {
        'bare node:crypto': () => bareSignedRequestXml(params, fx.apiKey, signType),
        'wxpay-kit': () => ours.signRequest(signType)(params),
        tenpay: () => others.tenpay.signRequest(signType)(params),
        'wechatpay-axios-plugin': () => others.axios.signRequest(signType)(params),
      },
    });
  }
  cases.push({
    op: 'v2 payment notification parse + verify',
    normalize: sortedRecord,
    impls: {
      'bare node:crypto': () => bareParseVerifyNotification(fx.notifyMd5, fx.apiKey),
      'wxpay-kit': () => ours.notification(fx.notifyMd5),
      tenpay: () => others.tenpay.notification(fx.notifyMd5),
      'wechatpay-axios-plugin': () => others.axios.notification(fx.notifyMd5),
    },
  });
  cases.push({
    op: 'v2 pay params (wx.requestPayment, MD5)',
    normalize: v2PayNormalize('MD5'),
    impls: {
      'bare node:crypto': () => bareV2PayParams(fx.appid, fx.prepayId, fx.apiKey, 'MD5', fx.timeStamp, fx.nonceStr),
      'wxpay-kit': () => ours.payParams(fx.prepayId, 'MD5'),
      tenpay: () => others.tenpay.payParams(fx.prepayId, 'MD5'),
      'wechatpay-axios-plugin': () => others.axios.payParams(fx.prepayId, 'MD5'),
    },
  });
  cases.push({
    op: 'v2 refund req_info decrypt + parse',
    normalize: sortedRecord,
    impls: {
      'bare node:crypto': () => bareDecryptReqInfo(fx.reqInfo, refundKey),
      'wxpay-kit': () => ours.reqInfo(fx.reqInfo),
      tenpay: () => others.tenpay.reqInfo(fx.reqInfo),
      'wechatpay-axios-plugin': () => others.axios.reqInfo(fx.reqInfo),
    },
  });
  cases.push({
    op: 'v3 Authorization header (POST jsapi)',
    normalize: authorizationFields,
    impls: {
      'bare node:crypto': () => bareV3Authorization(fx.merchant.privateKey, fx.mchid, fx.merchantSerial, r.method, r.url, r.body, r.timestamp, r.nonce),
      'wxpay-kit': () => ours.authorization(r),
      'wechatpay-axios-plugin': () => others.axios.authorization(r),
      'wechatpay-node-v3': () => others.nodeV3.authorization(r),
    },
  });
  cases.push({
    op: 'v3 notification verify + decrypt',
    // Typed results may carry explicit undefined for absent optional fields: compare the JSON they stand for.
    normalize: (o) => JSON.parse(JSON.stringify(o)) as unknown,
    impls: {
      'bare node:crypto': () => bareV3Notification(fx.v3NotifyHeaders, fx.v3NotifyBody, platformKeys, apiV3Key),
      'wxpay-kit': () => ours.v3Notification(v3Notice),
      'wechatpay-axios-plugin': () => others.axios.v3Notification(v3Notice),
      'wechatpay-node-v3': () => others.nodeV3.v3Notification(v3Notice),
    },
  });
  cases.push({
    op: 'v3 pay params (wx.requestPayment, RSA)',
    normalize: sortedRecord,
    impls: {
      'bare node:crypto': () => bareV3PayParams(fx.merchant.privateKey, fx.appid, fx.prepayId, fx.timeStamp, fx.nonceStr),
      'wxpay-kit': () => ours.v3PayParams(fx.prepayId),
      'wechatpay-axios-plugin': () => others.axios.v3PayParams(fx.prepayId),
      'wechatpay-node-v3': () => others.nodeV3.v3PayParams(fx.prepayId),
    },
  });
  return cases;
}

/**
 * Correctness probes beside the speed table: does each notification verifier refuse a one-character change, and does
 * it accept an HMAC-SHA256-signed notification that (like WeChat's) carries no sign_type?
 */
export function makeProbes(fx: Fixtures): { name: ImplName; verify: (xml: string) => Promise<boolean> }[] {
  const others = makeOthers(fx);
  const ours = makeOurs(fx);
  const wrap = (fn: (xml: string) => unknown) => async (xml: string): Promise<boolean> => {
    try {
      return (await fn(xml)) !== undefined;
    } catch {
      return false;
    }
  };
  return [
    { name: 'bare node:crypto', verify: wrap((x) => bareParseVerifyNotification(x, fx.apiKey)) },
    { name: 'wxpay-kit', verify: wrap(ours.notification) },
    { name: 'tenpay', verify: wrap(others.tenpay.notification) },
    { name: 'wechatpay-axios-plugin', verify: wrap(others.axios.notification) },
  ];
}
