import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { nodeNotify } from '../../src/adapters/node.js';
import { listen } from './listen.js';
import { assertTable, recordingHandler, v3Payment } from './samples.js';

for (const version of ['v2', 'v3'] as const) {
  test(`node:http adapter ${version}: genuine, forged, stale, oversized, wrong-merchant and throwing rows`, async (t) => {
    const recorder = recordingHandler(version);
    const notify = nodeNotify(recorder.handler);
    const url = await listen(t, createServer((req, res) => void notify(req, res)));
    await assertTable(version, `${url}/notify`, recorder);
  });
}

test('node:http adapter: a body something already read fails closed with 500 and says how to fix it', async (t) => {
  const recorder = recordingHandler('v3');
  const notify = nodeNotify(recorder.handler);
  const url = await listen(t, createServer((req, res) => {
    // A home-made JSON body parser that keeps no raw copy.
    let text = '';
    req.on('data', (c: Buffer) => { text += c.toString(); });
    req.on('end', () => { (req as { body?: unknown }).body = JSON.parse(text); void notify(req, res); });
  }));
  const sample = v3Payment();
  const res = await fetch(`${url}/notify`, { method: 'POST', headers: sample.headers, body: sample.body });
  assert.equal(res.status, 500);
  assert.equal(recorder.notices.length, 0);
  assert.equal(recorder.problems.at(-1)?.reason, 'body_consumed');
  assert.match(recorder.problems.at(-1)?.message ?? '', /before anything reads its body/);
});
