// A local stand-in for api.mch.weixin.qq.com: records each request and answers with a per-test handler.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseXml } from '../../src/v2/xml.js';
import { verifyV2Sign, isV2SignType } from '../../src/v2/sign.js';

export type Recorded = { path: string; body: string; fields: Record<string, string>; signOk: boolean; clientCertCn?: string };
export type Reply = { status?: number; body: string | Buffer; headers?: Record<string, string> } | 'hang' | 'destroy';
export type Handler = (req: Recorded) => Reply;

export const fixtures = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

export class FakeWeChat {
  readonly requests: Recorded[] = [];
  handler: Handler = () => ({ status: 404, body: '' });
  private readonly server: Server;
  private readonly hanging: ServerResponse[] = [];

  constructor(readonly apiKey: string, tls = false) {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = tls
      ? createHttpsServer(
          { key: fixtures('server.key'), cert: fixtures('server.pem'), ca: fixtures('ca.pem'), requestCert: true, rejectUnauthorized: true },
          onRequest,
        )
      : createHttpServer(onRequest);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `${'cert' in this.server ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let fields: Record<string, string> = {};
    let signOk = false;
    try {
      fields = parseXml(body);
      const type = fields.sign_type ?? 'MD5';
      signOk = isV2SignType(type) && verifyV2Sign(fields, this.apiKey, type);
    } catch {
      // recorded with signOk false
    }
    const socket = req.socket as { getPeerCertificate?: () => { subject?: { CN?: string } } };
    const cn = socket.getPeerCertificate?.().subject?.CN;
    const recorded: Recorded = { path: req.url ?? '', body, fields, signOk, ...(cn ? { clientCertCn: cn } : {}) };
    this.requests.push(recorded);
    const reply = this.handler(recorded);
    if (reply === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (reply === 'destroy') {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body);
  }
}
