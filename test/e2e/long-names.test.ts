/**
 * A product whose Chinese name is longer than WeChat's description limit (127 UTF-8 bytes) orders and pays through
 * the real SDK and the sandbox, in both API versions: the description is cut by bytes, on a character boundary.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KyselyStore } from '../../packages/server/src/store/kysely-store.js';
import { API_VERSIONS, startStack } from './helpers/stack.js';

const LONG_NAME = '云南普洱古树熟茶饼七子饼茶礼盒装'.repeat(4).slice(0, 50); // 50 characters, 150 bytes

for (const version of API_VERSIONS) {
  describe(`long product names (${version})`, () => {
    test('a 50-character Chinese name: the order is created (201) and paid', async (t) => {
      const s = await startStack(t, version);
      const store = s.app.wx.store;
      assert.ok(store instanceof KyselyStore);
      await store.database.insertInto('products').values({ sku: 'pu-er-long', name: LONG_NAME, price_fen: 1200, active: 1, created_at: s.clock.now() }).execute();
      const user = await s.login();
      const created = await s.createOrder(user, [{ sku: 'pu-er-long', quantity: 1 }]);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
      const description = (await store.getOrder(created.body.orderId))?.description ?? '';
      assert.ok(Buffer.byteLength(description, 'utf8') <= 127);
      assert.ok(LONG_NAME.startsWith(description) && description.length > 0);
    });
  });
}
