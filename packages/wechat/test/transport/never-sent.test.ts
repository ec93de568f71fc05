// The one "never sent" rule: which failures prove a request never reached WeChat (outcomeUnknown false) and which
// leave the outcome unknown. Table rows shaped as undici reports them, then real failures against local sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { networkErrorCode, provesNeverSent } from '../../src/transport/never-sent.js';
import { exchange, defaultTransportFetch } from '../../src/transport/http.js';
import { WxPayNetworkError } from '../../src/errors.js';

/** As undici's fetch rejects: TypeError('fetch failed') whose cause carries the system error code. */
function fetchFailed(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
}

test('classification table: connect-phase failures prove never sent; everything later is outcome unknown', () => {
  const neverSent = [
    'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
    'UND_ERR_CONNECT_TIMEOUT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED',
  ];
  const unknown = [
    'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_ABORTED', 'ABORT_ERR', 'SOMETHING_NEW',
  ];
  for (const code of neverSent) {
    assert.equal(provesNeverSent(fetchFailed(code)), true, code);
    assert.equal(networkErrorCode(fetchFailed(code)), code);
  }
  for (const code of unknown) assert.equal(provesNeverSent(fetchFailed(code)), false, code);
  // No code at all, or not an error: unknown (the safe side).
  for (const value of [new Error('boom'), new TypeError('fetch failed'), 'text', undefined, null, 42]) {
    assert.equal(provesNeverSent(value), false, String(value));
  }
  // The code on the error itself (node:net), or deeper in a cause chain.
  assert.equal(provesNeverSent(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), true);
  assert.equal(provesNeverSent(new Error('a', { cause: new Error('b', { cause: Object.assign(new Error('c'), { code: 'ENOTFOUND' }) }) })), true);
  // Happy eyeballs: one failure per address. Never sent only if every attempt failed before connecting.
  const aggregate = (...codes: string[]) => new TypeError('fetch failed', {
    cause: new AggregateError(codes.map((code) => Object.assign(new Error(code), { code }))),
  });
  assert.equal(provesNeverSent(aggregate('ECONNREFUSED', 'ENETUNREACH')), true);
  assert.equal(provesNeverSent(aggregate('ECONNREFUSED', 'ECONNRESET')), false);
  assert.equal(networkErrorCode(aggregate('ECONNREFUSED', 'ECONNRESET')), 'ECONNRESET');
});

test('real failures: a refused connection never left; a reset after the request was read may have landed', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const base = { fetch: defaultTransportFetch, method: 'POST', headers: {}, body: '<xml/>', what: 'test', timeoutMs: 5_000, maxResponseBytes: 1024 };
  await assert.rejects(exchange({ ...base, url: `http://127.0.0.1:${deadPort}/` }), (e: unknown) =>
    e instanceof WxPayNetworkError && e.outcomeUnknown === false && e.code === 'ECONNREFUSED' && e.retriable);

  let received = 0;
  const server = createHttpServer((req) => {
    req.resume();
    req.on('end', () => {
      received++;
      req.socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await assert.rejects(exchange({ ...base, url }), (e: unknown) => e instanceof WxPayNetworkError && e.outcomeUnknown === true);
  assert.equal(received, 1, 'the request did arrive');
});
