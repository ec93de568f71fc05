// @wxpay-kit/wechat/testing: sign notifications and responses exactly as WeChat does.
// The sandbox and the tests use the same code that the verifiers check against.
export * from './v2/testing.js';
export * from './v3/testing.js';
// WeChat's signature probe: a notification signed `WECHATPAY/SIGNTEST/…` checks that the merchant verifies at all.
export { V3_SIGNTEST_PREFIX } from './v3/verifier.js';
