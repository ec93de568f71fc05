// A local stand-in for api.weixin.qq.com: records requests, answers with a per-test handler.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SeenRequest = { method: string; path: string; query: URLSearchParams; body: string };
export type Answer = { status?: number; json?: unknown; text?: string } | 'hang';

export class FakeWeixin {
  readonly seen: SeenRequest[] = [];
  handler: (req: SeenRequest) => Answer = () => ({ status: 404, text: '' });
  private readonly server: Server;

  constructor() {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const url = new URL(req.url ?? '/', 'http://x');
      const seen = { method: req.method ?? '', path: url.pathname, query: url.searchParams, body: Buffer.concat(chunks).toString() };
      this.seen.push(seen);
      const answer = this.handler(seen);
      if (answer === 'hang') return;
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(answer.text ?? JSON.stringify(answer.json));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
