import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionCipher, hashToken } from '../src/auth/session-cipher.js';
import { build, loginAs } from './helpers/build.js';

test('session_key is encrypted at rest and bound to its openid', () => {
  const cipher = new SessionCipher('k'.repeat(40));
  const sealed = cipher.encrypt('c2Vzc2lvbi1rZXk=', 'openid-1');
  assert.doesNotMatch(sealed, /c2Vzc2lvbi1rZXk/);
  assert.equal(cipher.decrypt(sealed, 'openid-1'), 'c2Vzc2lvbi1rZXk=');
  assert.notEqual(cipher.encrypt('c2Vzc2lvbi1rZXk=', 'openid-1'), sealed, 'fresh IV each time');
  assert.throws(() => cipher.decrypt(sealed, 'openid-2'), 'moved to another user');
  assert.throws(() => new SessionCipher('other'.repeat(10)).decrypt(sealed, 'openid-1'), 'another key');
  const [v, iv, ct, tag] = sealed.split('.');
  assert.throws(() => cipher.decrypt([v, iv, `${ct}A`, tag].join('.'), 'openid-1'), 'tampered');
});

test('the database holds the token hash and the sealed session_key, never the plain values', async (t) => {
  const { app } = await build(t);
  const token = await loginAs(app);
  const session = await app.wx.store.findSession(hashToken(token), Date.UTC(2026, 10, 26, 12));
  assert.ok(session !== undefined);
  assert.notEqual(session.tokenHash, token);
  assert.ok(session.sessionKeyEnc.startsWith('v1.'));
  assert.doesNotMatch(session.sessionKeyEnc, /c2Vzc2lvbi1rZXktMTIzNDU2/);
});
