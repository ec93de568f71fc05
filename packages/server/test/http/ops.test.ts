/** Logging redaction, the demo and sandbox-proxy routes, who the server takes a client's address from. */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { pino } from 'pino';
import { REDACT_PATHS } from '../../src/app.js';
import { build, loginAs } from '../helpers/build.js';

test('logs never carry bearer tokens, session keys or secrets', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const { app } = await build(t, { deps: { logger } });
  const token = await loginAs(app);
  await app.inject({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${token}` } });
  logger.info({ merchant: { apiKey: 'k'.repeat(32), secret: 'app-secret' }, session: { sessionKey: 'sk' } }, 'config');
  const all = lines.join('');
  assert.ok(all.includes('[redacted]'));
  assert.ok(!all.includes(token), 'bearer token');
  assert.ok(!all.includes('k'.repeat(32)) && !all.includes('app-secret') && !all.includes('"sk"'));
  assert.ok(!all.includes('c2Vzc2lvbi1rZXktMTIzNDU2'), 'session_key from code2Session');
});

test('demo routes: index, bundle, config, static files, no path traversal', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'demo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'public'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>demo</title>');
  // The build's output (scripts/build.mjs bundles examples/web-demo/src/main.ts there); served as it is.
  writeFileSync(join(root, 'dist', 'app.js'), 'console.log(42);');
  writeFileSync(join(root, 'public', 'styles.css'), 'body{}');
  writeFileSync(join(root, 'secret.txt'), 'not public');
  const { app } = await build(t, { deps: { demoRoot: root } });
  assert.match((await app.inject({ method: 'GET', url: '/' })).body, /<title>demo/);
  const bundle = await app.inject({ method: 'GET', url: '/demo/app.js' });
  assert.equal(bundle.statusCode, 200);
  assert.equal(bundle.body, 'console.log(42);');
  assert.match(String(bundle.headers['content-type']), /^text\/javascript/);
  assert.deepEqual((await app.inject({ method: 'GET', url: '/demo/config' })).json(), { appid: 'wxfake0000000000' });
  assert.equal((await app.inject({ method: 'GET', url: '/demo/styles.css' })).body, 'body{}');
  for (const url of ['/demo/../secret.txt', '/demo/%2e%2e/secret.txt', '/demo/..%2fsecret.txt', '/demo/nope.css']) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url);
  }
});

async function fakeSandbox(t: TestContext): Promise<{ url: string; seen: { method?: string; url?: string; body: string }[] }> {
  const seen: { method?: string; url?: string; body: string }[] = [];
  const upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.after(() => upstream.close());
  return { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, seen };
}

test('sandbox proxy: only loopback clients that came straight to us, decided by the socket; SANDBOX_EXPOSE=true opens it', async (t) => {
  const sandbox = await fakeSandbox(t);
  const { app } = await build(t, { env: { TRUST_PROXY: '1' }, deps: { sandboxUrl: sandbox.url } });
  const pay = { method: 'POST' as const, url: '/sandbox/wx/requestPayment', headers: { 'content-type': 'application/json' }, payload: '{"action":"pay"}' };
  const rows: [string, InjectOptions, number][] = [
    ['loopback, IPv4', { ...pay, remoteAddress: '127.0.0.1' }, 200],
    ['loopback, IPv6', { ...pay, remoteAddress: '::1' }, 200],
    ['loopback, IPv4-mapped', { ...pay, remoteAddress: '::ffff:127.0.0.1' }, 200],
    ['loopback, Host localhost:3000', { ...pay, remoteAddress: '127.0.0.1', headers: { ...pay.headers, host: 'localhost:3000' } }, 200],
    ['another machine', { ...pay, remoteAddress: '203.0.113.9' }, 403],
    ['a LAN address', { ...pay, remoteAddress: '192.168.1.20' }, 403],
    // A header can never grant access, even with TRUST_PROXY set (request.ip would be 127.0.0.1 here).
    ['another machine claiming loopback in X-Forwarded-For', { ...pay, remoteAddress: '203.0.113.9', headers: { ...pay.headers, 'x-forwarded-for': '127.0.0.1' } }, 403],
    // A reverse proxy on this machine connects from 127.0.0.1 but says so: refused.
    ['through a local reverse proxy (X-Forwarded-For)', { ...pay, remoteAddress: '127.0.0.1', headers: { ...pay.headers, 'x-forwarded-for': '198.51.100.7' } }, 403],
    ['through a local reverse proxy (Forwarded)', { ...pay, remoteAddress: '127.0.0.1', headers: { ...pay.headers, forwarded: 'for=198.51.100.7' } }, 403],
    ['through a local reverse proxy (X-Real-IP)', { ...pay, remoteAddress: '127.0.0.1', headers: { ...pay.headers, 'x-real-ip': '198.51.100.7' } }, 403],
    // A public host name on a loopback socket: a proxy passing Host through, or a DNS-rebinding page in a browser.
    ['loopback socket, public Host', { ...pay, remoteAddress: '127.0.0.1', headers: { ...pay.headers, host: 'shop.example.com' } }, 403],
    ['merchant keys from another machine', { method: 'GET', url: '/sandbox/merchants', remoteAddress: '203.0.113.9' }, 403],
    ['prepay ids from another machine', { method: 'GET', url: '/sandbox/orders', remoteAddress: '203.0.113.9' }, 403],
  ];
  for (const [name, request, status] of rows) {
    const res = await app.inject(request);
    assert.equal(res.statusCode, status, name);
    if (status === 403) assert.equal((res.json() as { error: { code: string } }).error.code, 'sandbox_not_exposed', name);
  }
  assert.equal(sandbox.seen.length, 4, 'refused requests never reach the sandbox');

  const exposed = await build(t, { env: { SANDBOX_EXPOSE: 'true' }, deps: { sandboxUrl: sandbox.url } });
  assert.equal((await exposed.app.inject({ ...pay, remoteAddress: '203.0.113.9' })).statusCode, 200);
});

/** GET over a real socket to `address`, with a Host header of our choice (so only the socket's address differs). */
function getVia(address: string, port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('sandbox proxy over real sockets: HOST=0.0.0.0 serves the sandbox to this machine only', async (t) => {
  const sandbox = await fakeSandbox(t);
  const { app } = await build(t, { deps: { sandboxUrl: sandbox.url } });
  await app.listen({ port: 0, host: '0.0.0.0' });
  const { port } = app.server.address() as AddressInfo;
  assert.equal(await getVia('127.0.0.1', port, '/sandbox/merchants', `localhost:${port}`), 200);
  // This machine's own non-loopback address: the socket's remote address is then that address, as for a LAN client.
  const lan = Object.values(networkInterfaces()).flat().find((i) => i !== undefined && !i.internal && i.family === 'IPv4');
  if (lan === undefined) {
    t.diagnostic('no non-loopback IPv4 interface here: the LAN half of this test is covered by the inject rows above');
    return;
  }
  assert.equal(await getVia(lan.address, port, '/sandbox/merchants', `localhost:${port}`), 403, `from ${lan.address}`);
  assert.equal(await getVia(lan.address, port, '/api/products', `localhost:${port}`), 200, 'the rest of the server is served');
});

test('TRUST_PROXY=1 behind one proxy: a client writing its own X-Forwarded-For cannot dodge the login rate limit', async (t) => {
  // The "proxy" is this process connecting from 127.0.0.1 and appending the client's address, as nginx does with
  // proxy_add_x_forwarded_for; the client controls everything to the left of it.
  for (const trust of ['1', '127.0.0.1', 'loopback']) {
    const { app } = await build(t, { env: { TRUST_PROXY: trust }, deps: { rateLimits: { login: { max: 30, timeWindow: 60_000 } } } });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    let limited = 0;
    for (let i = 0; i < 40; i++) {
      const spoofed = `10.9.${i}.${i}`;
      const res = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `${spoofed}, 203.0.113.50` },
        body: JSON.stringify({ code: `code-p${i}.${trust}` }),
      });
      await res.arrayBuffer();
      if (res.status === 429) limited += 1;
    }
    assert.equal(limited, 10, `TRUST_PROXY=${trust}: 10 of 40 logins limited`);
    // And two real clients behind the same proxy have separate budgets.
    const other = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.51' }, body: JSON.stringify({ code: `code-q.${trust}` }) });
    assert.equal(other.status, 200, `TRUST_PROXY=${trust}: another client is not limited`);
    await app.close();
  }
});

test('sandbox proxy: /sandbox/* reaches the sandbox with method, body and status intact', async (t) => {
  const seen: { method?: string; url?: string; body: string }[] = [];
  const upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.after(() => upstream.close());
  const { port } = upstream.address() as AddressInfo;
  const { app } = await build(t, { deps: { sandboxUrl: `http://127.0.0.1:${port}` } });
  const res = await app.inject({ method: 'POST', url: '/sandbox/faults?x=1', headers: { 'content-type': 'application/json' }, payload: '{"notify":{"drop":1}}' });
  assert.equal(res.statusCode, 201);
  assert.deepEqual(res.json(), { ok: true });
  assert.deepEqual(seen[0], { method: 'POST', url: '/sandbox/faults?x=1', body: '{"notify":{"drop":1}}' });
});
