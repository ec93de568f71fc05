/**
 * Sandbox mode only: the sandbox's control API (/sandbox/*) made reachable same-origin, so the browser demo and the
 * README's curl walk-through talk to one port. Bodies pass through as bytes; only content-type crosses over.
 * Served to loopback clients only unless SANDBOX_EXPOSE=true (http/loopback-only.ts says why and how).
 */
import type { FastifyInstance } from 'fastify';
import { isDirectLoopbackRequest } from '../loopback-only.js';

export async function sandboxProxy(app: FastifyInstance, opts: { target: string; expose: boolean }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) => done(null, body));
  app.all('/sandbox/*', { schema: { hide: true } }, async (request, reply) => {
    if (!opts.expose && !isDirectLoopbackRequest(request)) {
      return reply.status(403).send({
        error: {
          code: 'sandbox_not_exposed',
          message: 'the sandbox control API is served to clients on this machine only (no proxy); set SANDBOX_EXPOSE=true to serve it to others',
        },
      });
    }
    // Mounted under a prefix (wxpayKit's `prefix`), the sandbox still serves /sandbox/*.
    const url = `${opts.target}${request.url.slice(app.prefix.length)}`;
    const headers: Record<string, string> = {};
    const type = request.headers['content-type'];
    if (typeof type === 'string') headers['content-type'] = type;
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && Buffer.isBuffer(request.body);
    let upstream: Response;
    try {
      upstream = await fetch(url, { method: request.method, headers, body: hasBody ? (request.body as Buffer) : undefined, signal: AbortSignal.timeout(10_000) });
    } catch {
      return reply.status(502).send({ error: { code: 'sandbox_unreachable', message: 'the sandbox did not answer' } });
    }
    const body = Buffer.from(await upstream.arrayBuffer());
    const upstreamType = upstream.headers.get('content-type');
    if (upstreamType !== null) void reply.type(upstreamType);
    return reply.status(upstream.status).send(body);
  });
}
