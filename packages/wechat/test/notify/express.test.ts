import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import { expressNotify, keepRawBody } from '../../src/adapters/express.js';
import { listen } from './listen.js';
import { assertTable, recordingHandler, v3Payment } from './samples.js';

// Express 4 and 5 through the same adapter; each app has global JSON, XML-as-text and urlencoded parsers.
const EXPRESSES = [['express 4', express4], ['express 5', express5]] as const;

for (const [name, express] of EXPRESSES) {
  for (const version of ['v2', 'v3'] as const) {
    test(`${name} ${version}: notify route registered before the global parsers`, async (t) => {
      const recorder = recordingHandler(version);
      const app = express();
      app.post('/notify', expressNotify(recorder.handler));
      app.use(express.json(), express.text({ type: ['text/xml', 'application/xml'] }), express.urlencoded({ extended: false }));
      const url = await listen(t, createServer(app));
      await assertTable(version, `${url}/notify`, recorder);
    });

    test(`${name} ${version}: global parsers first, keeping the raw bytes with verify: keepRawBody`, async (t) => {
      const recorder = recordingHandler(version);
      const app = express();
      app.use(
        express.json({ verify: keepRawBody }),
        express.text({ type: ['text/xml', 'application/xml'], verify: keepRawBody }),
        express.urlencoded({ extended: false, verify: keepRawBody }),
      );
      app.post('/notify', expressNotify(recorder.handler));
      const url = await listen(t, createServer(app));
      await assertTable(version, `${url}/notify`, recorder);
    });
  }

  test(`${name}: a global express.json() that ate the body fails closed with 500 and names the fix`, async (t) => {
    const recorder = recordingHandler('v3');
    const app = express();
    app.use(express.json());
    app.post('/notify', expressNotify(recorder.handler));
    const url = await listen(t, createServer(app));
    const sample = v3Payment();
    const res = await fetch(`${url}/notify`, { method: 'POST', headers: sample.headers, body: sample.body });
    assert.equal(res.status, 500);
    assert.equal(recorder.notices.length, 0);
    const problem = recorder.problems.at(-1);
    assert.equal(problem?.reason, 'body_consumed');
    assert.match(problem?.message ?? '', /before app\.use\(express\.json\(\)/);
    assert.match(problem?.message ?? '', /keepRawBody/);
  });
}
