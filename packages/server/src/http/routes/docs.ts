/**
 * OpenAPI: the JSON at /docs/json (from @fastify/swagger) and a small dependency-free page at /docs. The page links
 * relatively (docs/json), so it works under a prefix too (wxpayKit mounted at /pay: /pay/docs).
 */
import type { FastifyInstance } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wxpay-kit server API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}
code,pre{background:#f4f4f4;border-radius:4px}pre{padding:.5rem;overflow:auto}h2{margin-top:2rem}
.m{display:inline-block;min-width:4rem;font-weight:bold}</style></head>
<body><h1>wxpay-kit server API</h1><p>Machine-readable OpenAPI: <a href="docs/json">docs/json</a></p><div id="ops">Loading…</div>
<script>
fetch('docs/json').then(r => r.json()).then(doc => {
  const el = document.getElementById('ops'); el.textContent = '';
  for (const [path, ops] of Object.entries(doc.paths || {})) for (const [method, op] of Object.entries(ops)) {
    const h = document.createElement('h2'); h.innerHTML = '<span class="m"></span><code></code>';
    h.querySelector('.m').textContent = method.toUpperCase(); h.querySelector('code').textContent = path; el.append(h);
    const p = document.createElement('p'); p.textContent = (op.summary || '') + (op.description ? ' ' + op.description : ''); el.append(p);
    const pre = document.createElement('pre'); pre.textContent = JSON.stringify({ requestBody: op.requestBody, parameters: op.parameters, responses: op.responses }, null, 2); el.append(pre);
  }
});
</script></body></html>`;

export function docsRoutes(app: FastifyInstance): void {
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
}
