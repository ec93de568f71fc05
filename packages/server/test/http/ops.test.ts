/** Logging redaction, the demo and sandbox-proxy routes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
