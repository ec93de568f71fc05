import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createV3PartnerClient, type V3PartnerClientOptions } from '../../src/v3/partner.js';
import { WxPayConfigError, WxPayValidationError } from '../../src/errors.js';
import { generateRsaKeyPair, generateV3MerchantIdentity, verifyV3PaySign } from '../../src/v3/testing.js';

// Request shapes and round trips against the sandbox are in packages/sandbox/test/partner.test.ts; here, what is
// decided before anything is sent.
const identity = generateV3MerchantIdentity();
const wechatpay = generateRsaKeyPair();

function client(overrides: Partial<V3PartnerClientOptions> = {}) {
  const sent: string[] = [];
  const c = createV3PartnerClient({
    spMchid: '1900000100', spAppid: 'wxprovider00000001', serialNo: identity.serialNo, privateKey: identity.privateKeyPem,
    apiV3Key: 'a'.repeat(32), publicKey: { id: 'PUB_KEY_ID_0100000000000000000000000000000000', key: wechatpay.publicKeyPem },
    baseUrl: 'http://127.0.0.1:9', subMchid: '1900000109', subAppid: 'wxshop000000000001',
    fetch: (async (url: string) => {
      sent.push(url);
      throw new Error('not sent in these tests');
    }) as unknown as V3PartnerClientOptions['fetch'],
    retry: { attempts: 1 },
    ...overrides,
  });
  return { c, sent };
}

const prepay = { description: 'Tea', out_trade_no: 'P000001', notify_url: 'https://shop.example/n', amount: { total: 1 } };

test('partner prepay checks the payer and sub_appid before sending', async () => {
  const { c, sent } = client();
  await assert.rejects(c.jsapiPrepay({ ...prepay, payer: {} }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'payer');
  // Another sub-merchant named on the call: the client's subAppid is not used, so sub_openid has no sub_appid.
  await assert.rejects(c.jsapiPrepay({ ...prepay, sub_mchid: '1900000110', payer: { sub_openid: 'o' } }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_appid');
  const { c: noSub } = client({ subMchid: undefined, subAppid: undefined });
  await assert.rejects(noSub.jsapiPrepay({ ...prepay, payer: { sp_openid: 'o' } }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_mchid');
  await assert.rejects(noSub.queryByOutTradeNo('P000001'), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_mchid');
  await assert.rejects(noSub.refund({ out_trade_no: 'P000001', out_refund_no: 'R1', amount: { refund: 1, total: 1 } }), WxPayValidationError);
  assert.equal(sent.length, 0);
  assert.throws(() => client({ subMchid: undefined }), WxPayConfigError);
  assert.throws(() => client({ subMchid: 'x1' }), WxPayConfigError);
});

test('payParamsFor signs for the prepay\'s pay_appid with the provider key and says which', () => {
  const { c } = client();
  for (const appid of ['wxshop000000000001', 'wxprovider00000001']) {
    const { appid: used, payParams } = c.payParamsFor({ prepay_id: 'wx1', pay_appid: appid });
    assert.equal(used, appid);
    assert.ok(verifyV3PaySign({ ...payParams, appid }, identity.publicKeyPem));
    assert.ok(!verifyV3PaySign({ ...payParams, appid: appid === 'wxshop000000000001' ? 'wxprovider00000001' : 'wxshop000000000001' }, identity.publicKeyPem));
  }
  // payParams without an appid defaults to the client's sub-merchant mini program.
  const p = c.payParams('wx2');
  assert.ok(verifyV3PaySign({ ...p, appid: 'wxshop000000000001' }, identity.publicKeyPem));
});
