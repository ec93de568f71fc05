// A small WeChat Pay v3 stand-in on node:http for the client tests, built only from the SDK's testing helpers:
// it checks each Authorization header, answers like WeChat and signs every 2xx answer.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  buildV3CertificatesBody,
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
  signV3Response,
  v3BillHash,
  verifyV3Authorization,
} from '../../src/v3/testing.js';

export type Reply = { status: number; body: string | Buffer; headers?: Record<string, string>; unsigned?: boolean };
/** Changes one answer: a fault or a forged signature. */
export type Fault = (reply: Reply, signed: Record<string, string>) => { reply: Reply; headers: Record<string, string> };

export type SeenRequest = { method: string; url: string; body: string; headers: IncomingMessage['headers'] };

export const BILL_TEXT = [
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率',
  '`2026-11-25 10:00:00,`wx8888888888888888,`1900000001,`0,`,`4200000001,`ORDER000001,`oUser1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`19.99,`0.00,`T-shirt, blue,`,`0.12,`0.60%',
  '`2026-11-25 11:00:00,`wx8888888888888888,`1900000001,`0,`,`4200000002,`ORDER000002,`oUser2,`JSAPI,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`Mug,`,`0.01,`0.60%',
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
  '`2,`20.99,`0.00,`0.00,`0.13,`20.99,`0.00',
  '',
].join('\r\n');

export class FakeWechat {
  readonly seen: SeenRequest[] = [];
  readonly faults: Fault[] = [];
  /** Replies queued ahead of normal routing (e.g. a 500 before success). */
  readonly queued: Reply[] = [];
  mode: 'cert' | 'pubkey' = 'cert';
  /** Clock of the fake, ms. */
  now: () => number;
  billHashOverride: string | undefined;
  billDownloadHost: string | undefined;
  readonly #merchantPublicKey: string;
  readonly #apiV3Key: string;
  #server: Server | undefined;
  url = '';

  constructor(options: { merchantPublicKey: string; apiV3Key: string; now: () => number }) {
    this.#merchantPublicKey = options.merchantPublicKey;
    this.#apiV3Key = options.apiV3Key;
    this.now = options.now;
  }

  async listen(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
        const reply = this.#route(req.method ?? 'GET', req.url ?? '/', body, req.headers);
        let headers: Record<string, string> = { 'Request-ID': `REQ-${this.seen.length}`, ...(reply.headers ?? {}) };
        if (!reply.unsigned && reply.status < 300) {
          const byPub = this.mode === 'pubkey';
          headers = {
            ...headers,
            ...signV3Response({
              body: reply.body,
              platformKey: byPub ? SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM : SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
              serial: byPub ? SANDBOX_PUBLIC_KEY_ID : SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
              clock: this.now,
            }),
          };
        }
        let out = { reply, headers };
        const fault = this.faults.shift();
        if (fault !== undefined) out = fault(reply, headers);
        res.writeHead(out.reply.status, out.headers);
        res.end(out.reply.status === 204 ? undefined : out.reply.body);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const addr = this.#server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${addr.port}`;
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#server === undefined) return resolve();
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  #json(status: number, value: unknown): Reply {
    return { status, body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } };
  }

  #error(status: number, code: string, message: string): Reply {
    return { ...this.#json(status, { code, message }), unsigned: true };
  }

  #route(method: string, url: string, body: string, headers: IncomingMessage['headers']): Reply {
    const auth = verifyV3Authorization(headers.authorization, method, url, body, this.#merchantPublicKey, this.now);
    if (!auth.ok) return this.#error(401, 'SIGN_ERROR', `签名错误 (${auth.reason})`);
    const queued = this.queued.shift();
    if (queued !== undefined) return queued;
    const path = url.split('?')[0]!;
    if (method === 'GET' && path === '/v3/certificates') {
      return this.#json(200, JSON.parse(buildV3CertificatesBody({
        certificates: [{ pem: SANDBOX_PLATFORM_CERTIFICATE_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, effectiveTime: Date.parse('2020-01-01T00:00:00Z'), expireTime: Date.parse('2046-12-31T00:00:00Z') }],
        apiV3Key: this.#apiV3Key,
      })));
    }
    if (method === 'POST' && path === '/v3/pay/transactions/jsapi') {
      const req = JSON.parse(body) as { out_trade_no: string };
      return this.#json(200, { prepay_id: `wx${req.out_trade_no}` });
    }
    let m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      if (m[1] === 'MISSING000') return this.#error(404, 'ORDER_NOT_EXIST', '订单不存在');
      return this.#json(200, { appid: 'wx8888888888888888', mchid: '1900000001', out_trade_no: decodeURIComponent(m[1]!), trade_state: 'NOTPAY', trade_state_desc: '订单未支付', amount: { total: 100, currency: 'CNY' } });
    }
    m = /^\/v3\/pay\/transactions\/id\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      return this.#json(200, { appid: 'wx8888888888888888', mchid: '1900000001', out_trade_no: 'ORDER000001', transaction_id: m[1], trade_state: 'SUCCESS', success_time: '2026-11-26T20:00:00+08:00', payer: { openid: 'o1' }, amount: { total: 100, payer_total: 90, currency: 'CNY', payer_currency: 'CNY' } });
    }
    m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(path);
    if (method === 'POST' && m) return { status: 204, body: '' };
    if (method === 'POST' && path === '/v3/refund/domestic/refunds') {
      const req = JSON.parse(body) as { out_refund_no: string; out_trade_no: string; amount: { refund: number; total: number } };
      return this.#json(200, { refund_id: '50300000001', out_refund_no: req.out_refund_no, transaction_id: '4200000001', out_trade_no: req.out_trade_no, channel: 'ORIGINAL', user_received_account: '支付用户零钱', create_time: '2026-11-26T20:10:00+08:00', status: 'PROCESSING', amount: { total: req.amount.total, refund: req.amount.refund, payer_total: req.amount.total, payer_refund: req.amount.refund, currency: 'CNY' } });
    }
    m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      return this.#json(200, { refund_id: '50300000001', out_refund_no: decodeURIComponent(m[1]!), transaction_id: '4200000001', out_trade_no: 'ORDER000001', status: 'SUCCESS', success_time: '2026-11-26T20:11:00+08:00', amount: { total: 100, refund: 50, currency: 'CNY' } });
    }
    if (method === 'GET' && (path === '/v3/bill/tradebill' || path === '/v3/bill/fundflowbill')) {
      const q = new URLSearchParams(url.split('?')[1] ?? '');
      const gz = q.get('tar_type') === 'GZIP' ? '1' : '0';
      return this.#json(200, {
        hash_type: 'SHA1',
        hash_value: this.billHashOverride ?? v3BillHash(BILL_TEXT),
        download_url: `${this.billDownloadHost ?? this.url}/v3/billdownload/file?token=T0K3N&gz=${gz}`,
      });
    }
    if (method === 'GET' && path === '/v3/billdownload/file') {
      const gz = new URLSearchParams(url.split('?')[1] ?? '').get('gz') === '1';
      return { status: 200, body: gz ? gzipSync(BILL_TEXT) : Buffer.from(BILL_TEXT), headers: { 'Content-Type': 'application/octet-stream' }, unsigned: true };
    }
    return this.#error(404, 'RESOURCE_NOT_EXISTS', 'no such path');
  }
}
