/**
 * API v3 only: the server verifies WeChat the way the merchant's key mode requires — platform certificates
 * (downloaded from /v3/certificates and decrypted with the APIv3 key), or both keys during a migration, where
 * notifications arrive signed by either. The public-key mode is what every other e2e test runs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_MERCHANT } from '@wxpay-kit/sandbox';
import { acknowledged, startStack } from './helpers/stack.js';

describe('v3 key modes', () => {
  for (const mode of ['certificate', 'migrating'] as const) {
    test(`${mode}: pay, a refused first delivery retried, refund — all verified`, async (t) => {
      const s = await startStack(t, 'v3', { merchants: [{ ...DEMO_MERCHANT, v3KeyMode: mode }], env: { ADMIN_TOKEN: 'e2e-admin-token-0123456789' } });
      const user = await s.login();
      const created = await s.createOrder(user);
      assert.equal(created.status, 201);
      assert.equal(created.body.payParams.signType, 'RSA');
      // Drop the first delivery so the retry (migrating: signed by the other key) is the one that lands.
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { drop: 1 } });
      assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
      await s.advance(15);
      assert.equal((await s.app.wx.store.getOrder(created.body.orderId))?.status, 'PAID');
      const attempts = (await s.sandboxNotifications(created.body.outTradeNo)).flatMap((n) => n.attempts);
      assert.ok(acknowledged('v3', attempts[attempts.length - 1]));

      const res = await fetch(`${s.url}/admin/orders/${created.body.orderId}/refunds`, {
        method: 'POST', headers: { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test' }),
      });
      assert.equal(res.status, 202, await res.text());
      await s.advance(6);
      assert.equal((await s.order(user, created.body.orderId)).status, 'REFUNDED');
      assert.deepEqual(await s.outcomes(created.body.outTradeNo), ['paid', 'refunded'].sort());
    });
  }
});
