import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wechat from '@wxpay-kit/wechat';
import * as testing from '@wxpay-kit/wechat/testing';

test('the package entry points expose the v2 and login surface others code against', () => {
  for (const name of [
    'signV2', 'verifyV2Sign', 'isV2SignType', 'parseXml', 'buildXml', 'buildV2PayParams',
    'parseV2PaymentNotification', 'verifyV2PaymentFields', 'v2NotificationReply', 'parseV2RefundNotification', 'decryptV2RefundReqInfo',
    'createV2Client', 'parseV2Bill', 'yuanToFen', 'formatChinaTime', 'parseChinaTime',
    'createLoginClient', 'createAccessTokenManager', 'isAccessTokenRejected', 'MemoryTokenStore',
    'WxPayError', 'WxPayApiError', 'WxPaySignatureError', 'WxPayProtocolError',
  ]) {
    assert.equal(typeof (wechat as Record<string, unknown>)[name], 'function', name);
  }
  for (const name of ['signV2Notification', 'encryptV2RefundReqInfo', 'buildV2Response']) {
    assert.equal(typeof (testing as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal('signV2Notification' in wechat, false, 'signing as WeChat stays out of the main entry');
  // Internals of the signing rules stay internal (the full list of exports is the API report, api-report/).
  for (const name of ['signTypeOfSignature', 'randomNonce']) assert.equal(name in wechat, false, name);
});
