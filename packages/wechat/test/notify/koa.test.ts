import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { koaNotify } from '../../src/adapters/koa.js';
import { listen } from './listen.js';
import { assertTable, recordingHandler, v3Payment, type Recorder } from './samples.js';

function app(recorder: Recorder, parser: Koa.Middleware): Koa {
  const koa = new Koa();
  koa.use(parser);
  const notify = koaNotify(recorder.handler);
  koa.use(async (ctx, next) => (ctx.method === 'POST' && ctx.path === '/notify' ? notify(ctx) : next()));
  return koa;
}

for (const version of ['v2', 'v3'] as const) {
  test(`koa ${version}: global @koa/bodyparser parsing JSON, forms and XML (kept as ctx.request.rawBody)`, async (t) => {
    const recorder = recordingHandler(version);
    const parser = bodyParser({ enableTypes: ['json', 'form', 'text'], extendTypes: { text: ['text/xml', 'application/xml'] } });
    const url = await listen(t, createServer(app(recorder, parser).callback()));
    await assertTable(version, `${url}/notify`, recorder);
  });

  test(`koa ${version}: global @koa/bodyparser with its defaults (XML left in the stream)`, async (t) => {
    const recorder = recordingHandler(version);
    const url = await listen(t, createServer(app(recorder, bodyParser()).callback()));
    await assertTable(version, `${url}/notify`, recorder);
  });
}

test('koa: a parser that consumed the body without rawBody fails closed with 500 and names the fix', async (t) => {
  const recorder = recordingHandler('v3');
  const eager: Koa.Middleware = async (ctx, next) => {
    let text = '';
    for await (const chunk of ctx.req) text += String(chunk);
    ctx.request.body = JSON.parse(text);
    await next();
  };
  const url = await listen(t, createServer(app(recorder, eager).callback()));
  const sample = v3Payment();
  const res = await fetch(`${url}/notify`, { method: 'POST', headers: sample.headers, body: sample.body });
  assert.equal(res.status, 500);
  assert.equal(recorder.notices.length, 0);
  assert.match(recorder.problems.at(-1)?.message ?? '', /keep ctx\.request\.rawBody/);
});
