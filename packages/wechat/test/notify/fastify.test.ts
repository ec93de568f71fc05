import { test } from 'node:test';
import Fastify from 'fastify';
import { fastifyNotify } from '../../src/adapters/fastify.js';
import { assertTable, recordingHandler } from './samples.js';

for (const version of ['v2', 'v3'] as const) {
  test(`fastify ${version}: encapsulated raw parser beside the app's global JSON and XML parsers`, async (t) => {
    const recorder = recordingHandler(version);
    const app = Fastify();
    t.after(() => app.close());
    // The app's own parsers: JSON (Fastify's) and an XML parser that replaces the body with an object.
    app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, _body, done) => done(null, { parsed: true }));
    await app.register(fastifyNotify(recorder.handler, { path: '/notify' }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await assertTable(version, `${url}/notify`, recorder);
  });
}
