/**
 * How the process logs: pretty for a terminal, JSON otherwise (the choice), one line per request, secrets redacted;
 * and the start banner names /admin when ADMIN_TOKEN is set. The process runs with stdout on a pipe (not a TTY).
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDACT_PATHS } from '../src/app.js';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { chooseLogFormat, lazyChildLogger, loggerOptions } from '../src/logging.js';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));

test('chooseLogFormat: pretty only when stdout is a TTY; the pretty options keep the redaction', () => {
  assert.equal(chooseLogFormat({ isTTY: true }), 'pretty');
  assert.equal(chooseLogFormat({ isTTY: false }), 'json');
  assert.equal(chooseLogFormat({}), 'json');
  const pretty = loggerOptions('pretty', 'info', REDACT_PATHS);
  const json = loggerOptions('json', 'info', REDACT_PATHS);
  assert.equal((pretty.transport as { target: string }).target, 'pino-pretty');
  assert.equal(json.transport, undefined, 'JSON goes straight to stdout, no worker');
  assert.deepEqual(pretty.redact, json.redact);
  assert.deepEqual((json.redact as { paths: string[] }).paths, REDACT_PATHS);
});

async function start(t: TestContext, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--conditions=@wxpay-kit/source', '--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'data', 'wxpay-kit.db')}`, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  const out = { text: '' };
  child.stdout.on('data', (c: Buffer) => (out.text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.text += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner:\n${out.text}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(out.text);
      if (match?.[1] !== undefined && /admin: /.test(out.text)) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', () => reject(new Error(`exited early:\n${out.text}`)));
  });
  return { child, out, url };
}

test('not a TTY: JSON lines, one per request, no bearer token; the banner names /admin', async (t) => {
  const { child, out, url } = await start(t, { ADMIN_TOKEN: 'log-test-admin-token-0123456789' });
  assert.match(out.text, new RegExp(`admin: +${url.replace(/[.[\]]/g, '\\$&')}/admin`));
  const res = await fetch(`${url}/admin/products`, { headers: { authorization: 'Bearer log-test-admin-token-0123456789' } });
  assert.equal(res.status, 200);
  await fetch(`${url}/api/products`);
  child.kill('SIGTERM');
  await once(child, 'exit');
  const json = out.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = json.filter((l) => l.msg === 'request');
  assert.deepEqual(requests.map((l) => [l.method, l.url, l.statusCode]), [['GET', '/admin/products', 200], ['GET', '/api/products', 200]], 'one line per request');
  assert.ok(requests.every((l) => l.level === 30 && typeof l.ms === 'number'));
  assert.equal(json.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed').length, 0);
  assert.ok(!out.text.includes('log-test-admin-token-0123456789'), 'the admin token is never printed');
  assert.doesNotMatch(out.text, /Deprecation/, 'no deprecation warning');
  assert.ok(!out.text.includes('\u001b['), 'no colour codes in JSON output');
});

test('without ADMIN_TOKEN the banner says how to enable /admin', async (t) => {
  const { child, out } = await start(t, { LOG_LEVEL: 'warn' });
  assert.match(out.text, /admin: +off \(set ADMIN_TOKEN/);
  child.kill('SIGTERM');
  await once(child, 'exit');
});

test('a request\'s logger becomes a pino child only when it writes an enabled line, which keeps the reqId binding', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });
  const parent = pino({ level: 'warn' }, sink);
  let children = 0;
  const child = parent.child.bind(parent);
  parent.child = ((...args: Parameters<typeof parent.child>) => { children++; return child(...args); }) as typeof parent.child;
  const app = Fastify({ loggerInstance: parent, childLoggerFactory: lazyChildLogger, disableRequestLogging: true });
  t.after(() => app.close());
  app.get('/quiet', async (request) => { request.log.info({ secret: 'no' }, 'below the level'); return { ok: true }; });
  app.get('/loud', async (request) => { request.log.warn({ n: 1 }, 'worth a line'); return { ok: true }; });
  await app.ready();
  children = 0;
  assert.equal((await app.inject('/quiet')).statusCode, 200);
  assert.equal(children, 0, 'no child logger for a request that wrote nothing enabled');
  assert.equal(lines.length, 0);
  assert.equal((await app.inject('/loud')).statusCode, 200);
  assert.equal(children, 1);
  const line = lines.find((l) => l.msg === 'worth a line');
  assert.equal(line?.n, 1);
  assert.match(String(line?.reqId), /^req-/, 'the request id binding is there');
});
