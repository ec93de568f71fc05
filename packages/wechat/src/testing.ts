// @wxpay-kit/wechat/testing: sign notifications and responses exactly as WeChat does.
// The sandbox and the tests use the same code that the verifiers check against.
export * from './v2/testing.js';
export * from './v3/testing.js';
