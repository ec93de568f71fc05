// The default HTTP client (undici's request(), not fetch) against a real node:http server: redirects are answers, never
// followed (an Authorization header is never sent on); headers read case-insensitively; a silent peer times out with
// the outcome unknown; a refused connection is known never sent.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exchange, defaultTransportFetch } from '../../src/transport/http.js';
import { WxPayNetworkError } from '../../src/errors.js';

async function serve(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { url: string; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const call = (url: string, extra: { timeoutMs?: number } = {}) => exchange({
  fetch: defaultTransportFetch, url, method: 'POST', headers: { authorization: 'WECHATPAY2-SHA256-RSA2048 mchid="1"', 'content-type': 'application/json' },
  body: '{}', what: 'POST /v3/pay/transactions/jsapi', timeoutMs: extra.timeoutMs ?? 5_000, maxResponseBytes: 64 * 1024, noRedirect: true,
});

test('a redirect is an answer: not followed, so the Authorization header goes nowhere else', async (t) => {
  const { base, seen } = await serve(t, (req, res) => {
    req.resume();
    if (req.url === '/elsewhere') {
      res.end('followed');
      return;
    }
    res.writeHead(307, { location: '/elsewhere' });
    res.end();
  });
  const answer = await call(`${base}/v3/pay/transactions/jsapi`);
  assert.equal(answer.status, 307);
  assert.equal(answer.headers.get('Location'), '/elsewhere');
  assert.deepEqual(seen.map((s) => s.url), ['/v3/pay/transactions/jsapi']);
});

test('answer headers are read case-insensitively; a repeated header is joined; the body arrives whole', async (t) => {
  const body = JSON.stringify({ prepay_id: 'wx'.padEnd(40, '0') });
  const { base } = await serve(t, (req, res) => {
    req.resume();
    res.setHeader('Request-ID', 'req-1');
    res.setHeader('X-Many', ['a', 'b']);
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  const answer = await call(`${base}/v3/pay/transactions/jsapi`);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('request-id'), 'req-1');
  assert.equal(answer.headers.get('REQUEST-ID'), 'req-1');
  assert.equal(answer.headers.get('x-many'), 'a, b');
  assert.equal(answer.headers.has('Content-Type'), true);
  assert.equal(answer.headers.has('wechatpay-serial'), false);
  assert.equal(answer.headers.get('wechatpay-serial'), null);
  assert.equal(answer.body.toString('utf8'), body);
});

test('a peer that never answers times out with the outcome unknown; a refused connection was never sent', async (t) => {
  const { base } = await serve(t, (req) => {
    req.resume();
  });
  await assert.rejects(call(`${base}/v3/pay/transactions/jsapi`, { timeoutMs: 200 }), (e: unknown) => e instanceof WxPayNetworkError && e.code === 'TIMEOUT' && e.outcomeUnknown);
  // Nothing listens on port 9 of loopback (discard): the connection is refused before a byte of the request left.
  await assert.rejects(call(`http://127.0.0.1:9/v3/x`), (e: unknown) => e instanceof WxPayNetworkError && e.code === 'ECONNREFUSED' && !e.outcomeUnknown);
});
