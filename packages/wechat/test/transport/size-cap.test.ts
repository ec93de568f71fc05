// The size cap is enforced while the answer streams in: against a real node:http server that never stops sending,
// the exchange fails once the cap is passed and the connection is closed (it does not buffer the stream first).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exchange, defaultTransportFetch, type TransportFetch } from '../../src/transport/http.js';
import { WxPayProtocolError } from '../../src/errors.js';

const CHUNK = Buffer.alloc(16 * 1024, 0x61);

async function endlessServer(t: TestContext) {
  const state = { written: 0, closed: 0 };
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    // Chunked, no content-length: the only way to know the size is to read it.
    res.writeHead(200, { 'content-type': 'text/xml' });
    let open = true;
    res.on('close', () => {
      open = false;
      state.closed++;
    });
    const pump = () => {
      while (open && res.write(CHUNK)) state.written += CHUNK.length;
      if (open) {
        state.written += CHUNK.length;
        res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, state };
}

test('an answer that never ends is cut off at the cap and its connection closed', async (t) => {
  const { url, state } = await endlessServer(t);
  const maxResponseBytes = 64 * 1024;
  await assert.rejects(
    exchange({ fetch: defaultTransportFetch, url, method: 'POST', headers: {}, body: '<xml/>', what: 'POST /pay/orderquery', timeoutMs: 30_000, maxResponseBytes }),
    (e: unknown) => e instanceof WxPayProtocolError && e.code === 'RESPONSE_TOO_LARGE' && /65536 bytes/.test(e.message),
  );
  // The server sees its response closed: the client tore the connection down instead of draining an endless body.
  for (let i = 0; i < 1000 && state.closed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(state.closed, 1);
});

test('a declared content-length over the cap is refused before reading; a test double with only text() is capped too', async () => {
  let cancelled = false;
  const declared: TransportFetch = async () => ({
    status: 200,
    headers: new Headers({ 'content-length': String(10 * 1024 * 1024) }),
    body: new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(CHUNK), cancel: () => { cancelled = true; } }),
  });
  await assert.rejects(
    exchange({ fetch: declared, url: 'http://127.0.0.1:9/', method: 'GET', headers: {}, what: 'GET x', timeoutMs: 1_000, maxResponseBytes: 1024 }),
    (e: unknown) => e instanceof WxPayProtocolError && e.code === 'RESPONSE_TOO_LARGE',
  );
  const streamed: TransportFetch = async () => ({
    status: 200,
    body: new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(CHUNK), cancel: () => { cancelled = true; } }),
  });
  await assert.rejects(
    exchange({ fetch: streamed, url: 'http://127.0.0.1:9/', method: 'GET', headers: {}, what: 'GET x', timeoutMs: 1_000, maxResponseBytes: 20_000 }),
    (e: unknown) => e instanceof WxPayProtocolError && e.code === 'RESPONSE_TOO_LARGE',
  );
  assert.equal(cancelled, true, 'the stream is cancelled, not drained');
  const textOnly: TransportFetch = async () => ({ status: 200, text: async () => 'x'.repeat(2000) });
  await assert.rejects(
    exchange({ fetch: textOnly, url: 'http://127.0.0.1:9/', method: 'GET', headers: {}, what: 'GET x', timeoutMs: 1_000, maxResponseBytes: 1000 }),
    WxPayProtocolError,
  );
  const small = await exchange({ fetch: textOnly, url: 'http://127.0.0.1:9/', method: 'GET', headers: {}, what: 'GET x', timeoutMs: 1_000, maxResponseBytes: 2000 });
  assert.equal(small.body.length, 2000);
});
