/**
 * The browser demo (examples/web-demo), served in sandbox mode: index.html at /, the script bundled at build time
 * (`npm run build` writes dist/app.js; nothing is compiled at run time), static files from public/ under /demo/.
 * Missing files are a 404, never a crash.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** The demo's script as the build bundled it (scripts/build.mjs), read once at start-up. */
export const DEMO_BUNDLE = join('dist', 'app.js');

async function readBundle(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

export async function demoRoutes(app: FastifyInstance, opts: { root: string; appid: string }): Promise<void> {
  const script = await readBundle(join(opts.root, DEMO_BUNDLE));
  if (script === undefined) app.log.warn({ root: opts.root }, `web demo not built (no ${DEMO_BUNDLE}): run npm run build`);
  const publicDir = join(opts.root, 'public');

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    try {
      return reply.type(TYPES['.html'] ?? 'text/html').send(await readFile(join(opts.root, 'index.html')));
    } catch {
      return reply.type('text/plain; charset=utf-8').send('wxpay-kit server. API docs: /docs\n');
    }
  });
  app.get('/demo/app.js', { schema: { hide: true } }, async (_request, reply) => {
    if (script === undefined) return reply.status(404).send({ error: { code: 'not_found', message: 'demo bundle unavailable' } });
    return reply.type(TYPES['.js'] ?? 'text/javascript').header('cache-control', 'no-cache').send(script);
  });
  app.get('/demo/config', { schema: { hide: true } }, async () => ({ appid: opts.appid }));
  app.get<{ Params: { '*': string } }>('/demo/*', { schema: { hide: true } }, async (request, reply) => {
    const rel = normalize(request.params['*']);
    const file = join(publicDir, rel);
    if (!file.startsWith(publicDir + sep) || rel.includes('\0')) return reply.status(404).send({ error: { code: 'not_found', message: 'no such file' } });
    try {
      const content = await readFile(file);
      return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').send(content);
    } catch {
      return reply.status(404).send({ error: { code: 'not_found', message: 'no such file' } });
    }
  });
}
