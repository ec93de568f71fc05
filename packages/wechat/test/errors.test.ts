import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WxPayDecryptError,
  WxPayError,
  WxPayNetworkError,
  WxPayProtocolError,
  WxPaySignatureError,
} from '../src/errors.js';

test('an explicit undefined code keeps each subclass default', () => {
  assert.equal(new WxPayProtocolError('x', { code: undefined }).code, 'PROTOCOL_ERROR');
  assert.equal(new WxPayDecryptError('x', { code: undefined }).code, 'DECRYPT_ERROR');
  assert.equal(new WxPaySignatureError('bad_signature', 'x', { code: undefined }).code, 'SIGN_ERROR');
  const net = new WxPayNetworkError('x', { outcomeUnknown: true, code: undefined, retriable: undefined });
  assert.equal(net.code, 'NETWORK_ERROR');
  assert.equal(net.retriable, true);
});

test('errors keep their class name, code and cause, and are WxPayErrors', () => {
  const cause = new Error('socket hang up');
  const e = new WxPayNetworkError('request failed', { outcomeUnknown: false, code: 'ETIMEDOUT', cause });
  assert.ok(e instanceof WxPayError);
  assert.equal(e.name, 'WxPayNetworkError');
  assert.equal(e.code, 'ETIMEDOUT');
  assert.equal(e.cause, cause);
  assert.equal(e.outcomeUnknown, false);
});
