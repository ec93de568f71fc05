/** The whole mini-program payment through the real server and the sandbox, for every API version. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_VERSIONS, startStack } from './helpers/stack.js';

for (const version of API_VERSIONS) {
  describe(`payment flow (${version})`, () => {
    test('login → order → requestPayment → notification → PAID, one fulfilment event', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user, [{ sku: 'tea-oolong', quantity: 2 }]);
      assert.equal(created.status, 201);
      assert.equal(created.body.amount, 9600);
      assert.equal(created.body.status, 'PAYING');
      assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
      const order = await s.order(user, created.body.orderId);
      assert.equal(order.status, 'PAID');
      assert.ok(order.paidAt !== undefined);
      const notes = await s.sandboxNotifications(created.body.outTradeNo);
      assert.equal(notes[0]?.status, 'delivered');
      await s.app.wx.jobs.deliverOutbox();
      await s.app.wx.jobs.deliverOutbox();
      assert.equal(s.events.length, 1);
      assert.equal(s.events[0]?.topic, 'order.paid');
      assert.equal(s.events[0]?.orderId, created.body.orderId);
    });

    test('the payer cancels: the order stays unpaid and can be paid later with fresh parameters', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      assert.equal(await s.pay(user, created.body.payParams, 'cancel'), 'requestPayment:fail cancel');
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAYING');
      const again = await fetch(`${s.url}/api/orders/${created.body.orderId}/payment`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
      assert.equal(again.status, 200);
      const body = (await again.json()) as { payParams: typeof created.body.payParams; outTradeNo: string };
      assert.equal(body.outTradeNo, created.body.outTradeNo, 'a live prepay is reused');
      assert.equal(await s.pay(user, body.payParams), 'requestPayment:ok');
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
    });

    test('repay after the prepay expired: the old attempt is closed, a new out_trade_no is paid', async (t) => {
      const s = await startStack(t, version, { env: { PAY_EXPIRE_MINUTES: '10' } });
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.advance(11 * 60);
      const again = await fetch(`${s.url}/api/orders/${created.body.orderId}/payment`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
      assert.equal(again.status, 200);
      const body = (await again.json()) as { payParams: typeof created.body.payParams; outTradeNo: string };
      assert.notEqual(body.outTradeNo, created.body.outTradeNo);
      const old = (await (await fetch(`${s.sandbox.url}/sandbox/orders?outTradeNo=${created.body.outTradeNo}`)).json()) as { orders: { state: string }[] };
      assert.equal(old.orders[0]?.state, 'CLOSED');
      assert.notEqual(await s.pay(user, created.body.payParams), 'requestPayment:ok', 'the closed attempt cannot be paid');
      assert.equal(await s.pay(user, body.payParams), 'requestPayment:ok');
      const order = await s.order(user, created.body.orderId);
      assert.equal(order.status, 'PAID');
      assert.equal(order.outTradeNo, body.outTradeNo);
    });

    test('an unpaid order past its expiry is closed at WeChat and then CLOSED', async (t) => {
      const s = await startStack(t, version, { env: { PAY_EXPIRE_MINUTES: '10', ORDER_EXPIRE_MINUTES: '10' } });
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.advance(11 * 60);
      await s.app.wx.jobs.expire();
      assert.equal((await s.order(user, created.body.orderId)).status, 'CLOSED');
      const repay = await fetch(`${s.url}/api/orders/${created.body.orderId}/payment`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
      assert.equal(repay.status, 409);
    });

    test('refund: admin request, WeChat settles, refund notification → REFUNDED', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.pay(user, created.body.payParams);
      const refund = await fetch(`${s.url}/admin/orders/${created.body.orderId}/refunds`, {
        method: 'POST',
        headers: { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'customer asked' }),
      });
      assert.equal(refund.status, 202, await refund.clone().text());
      const denied = await fetch(`${s.url}/admin/orders/${created.body.orderId}/refunds`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-wrong-token', 'content-type': 'application/json' }, body: '{}' });
      assert.equal(denied.status, 401);
      assert.equal((await s.order(user, created.body.orderId)).status, 'REFUNDING');
      await s.advance(10);
      assert.equal((await s.order(user, created.body.orderId)).status, 'REFUNDED');
    });
  });
}
