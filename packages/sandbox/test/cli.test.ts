import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The bin as installed: compiled JavaScript run by plain node (npm test builds dist/ first).
const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

test('npx wxpay-sandbox --port 0 starts standalone, prints the demo merchant and serves WeChat paths', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-sandbox-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const merchantsFile = join(dir, 'merchants.json');
  writeFileSync(merchantsFile, JSON.stringify([{ appid: 'wx1111111111111111', secret: 's1', mchid: '1900000002', apiKey: 'k'.repeat(32), apiV3Key: 'v'.repeat(32) }]));
  const child = spawn(process.execPath, [bin, '--port', '0', '--time-scale', '60', '--merchants', merchantsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    child.kill('SIGTERM');
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1] !== undefined && out.includes('Try it')) resolve(m[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  assert.match(out, /WECHAT_APPID=wx8888888888888888/);
  assert.match(out, /WXPAY_MCHID=1900000001/);
  assert.match(out, /time scale 60/);
  const merchants = (await (await fetch(`${url}/sandbox/merchants`)).json()) as { merchants: { mchid: string }[] };
  assert.deepEqual(merchants.merchants.map((m) => m.mchid), ['1900000001', '1900000002']);
  const login = (await (await fetch(`${url}/sandbox/wx/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid: 'wx1111111111111111' }) })).json()) as { code: string };
  const session = (await (await fetch(`${url}/sns/jscode2session?appid=wx1111111111111111&secret=s1&js_code=${login.code}&grant_type=authorization_code`)).json()) as { openid: string };
  assert.match(session.openid, /^o/);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM shuts down cleanly');
});

test('wxpay-sandbox refuses bad arguments with a usage message', async () => {
  const child = spawn(process.execPath, [bin, '--port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--port must be/);
  assert.match(err, /Usage: wxpay-sandbox/);
});

test('wxpay-sandbox on a taken port: one clear line on stderr and a non-zero exit, no stack trace', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const { port } = blocker.address() as AddressInfo;
  const child = spawn(process.execPath, [bin, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); });
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.equal(err, `wxpay-sandbox: port ${port} on 127.0.0.1 is already in use (another sandbox or server?); choose another with --port N, or --port 0 for a free one\n`);
  assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
  assert.equal(out, '', 'nothing claims to be listening');
});
