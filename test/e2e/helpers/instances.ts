/**
 * Pieces of the multi-instance test: real server processes (packages/server/src/server.ts through tsx, exactly what
 * `npm start` runs), a round-robin HTTP proxy standing in for the load balancer in front of them (WeChat's notify_url
 * points at it), and a webhook receiver that verifies our signature and records every fulfilment event it is given.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '../../../packages/server/src/jobs/webhook.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SERVER_ENTRY = join(ROOT, 'packages', 'server', 'src', 'server.ts');

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

// ---- server processes -------------------------------------------------------------------------------------------

export type Instance = { name: string; url: string; child: ChildProcess; alive: boolean; output: string[] };

/** Starts server.ts with `env` (and nothing of this process's own configuration) and resolves once it listens. */
export function startInstance(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output.join('')}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      if (output.length > 200) output.shift();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        const instance: Instance = { name, url: match[1], child, alive: true, output };
        child.once('exit', () => {
          instance.alive = false;
        });
        resolve(instance);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${output.join('')}`));
    });
  });
}

/**
 * The URL a started server process prints in its banner ("listening on …"), with [::1] as 127.0.0.1; rejects with
 * everything it wrote if it exits first or prints no banner in `timeoutMs`. For tests that spawn the built server.
 */
export function bannerUrl(server: ChildProcess, timeoutMs = 30_000): Promise<string> {
  let log = '';
  server.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner:\n${log}`)), timeoutMs);
    server.stdout?.on('data', (c: Buffer) => {
      log += c.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1].replace('[::1]', '127.0.0.1'));
      }
    });
    server.on('exit', () => reject(new Error(`server exited:\n${log}`)));
  });
}

/** SIGTERM (graceful), SIGKILL if it takes more than `graceMs`; resolves when the process is gone. */
export function stopInstance(instance: Instance, graceMs = 8_000): Promise<void> {
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** kill -9: no shutdown hook, no goodbye to the database; resolves once the process is gone. */
export function killInstance(instance: Instance): Promise<void> {
  const { child } = instance;
  instance.alive = false;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

// ---- the load balancer ----------------------------------------------------------------------------------------------

export type Balancer = {
  url: string;
  /** Requests forwarded, per instance name, per path. */
  forwarded: Map<string, number>;
  /** Called after a request has been sent on to an instance (its answer not yet back): the place to kill it. */
  onForward: ((instance: Instance, path: string) => void) | undefined;
  close(): Promise<void>;
};

/** Round-robin over the instances still alive; a refused or reset connection answers 502, as a load balancer would. */
export async function startBalancer(instances: readonly Instance[]): Promise<Balancer> {
  let next = 0;
  const balancer: Balancer = { url: '', forwarded: new Map(), onForward: undefined, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const alive = instances.filter((i) => i.alive);
      const target = alive[next++ % Math.max(1, alive.length)];
      if (target === undefined) {
        res.writeHead(503).end('no instance');
        return;
      }
      const key = `${target.name} ${req.url ?? ''}`;
      balancer.forwarded.set(key, (balancer.forwarded.get(key) ?? 0) + 1);
      const upstream = httpRequest(`${target.url}${req.url ?? '/'}`, { method: req.method, headers: { ...req.headers, host: new URL(target.url).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end('bad gateway');
        else res.destroy();
      });
      upstream.end(body);
      balancer.onForward?.(target, req.url ?? '');
    })();
  });
  balancer.url = await listen(server);
  balancer.close = () => closeServer(server);
  return balancer;
}

// ---- the merchant's webhook receiver ------------------------------------------------------------------------------

export type ReceivedEvent = { id: string; topic: string; orderId: string; attempt: number; payload: Record<string, unknown> };

export type WebhookReceiver = {
  url: string;
  /** Every verified delivery, duplicates included. */
  deliveries: ReceivedEvent[];
  /** Deliveries whose signature did not verify (must stay 0). */
  forged: number;
  /** Answer 500 to the first delivery of these order ids (to exercise the outbox's retries). */
  failFirst: Set<string>;
  close(): Promise<void>;
};

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = { url: '', deliveries: [], forged: 0, failFirst: new Set(), close: async () => {} };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const header = req.headers[WEBHOOK_SIGNATURE_HEADER];
      if (!verifyWebhookSignature(body, typeof header === 'string' ? header : undefined, secret, { nowSeconds: Math.floor(Date.now() / 1000) })) {
        receiver.forged++;
        res.writeHead(401).end();
        return;
      }
      const event = JSON.parse(body.toString('utf8')) as ReceivedEvent;
      if (receiver.failFirst.delete(event.orderId)) {
        res.writeHead(500).end();
        return;
      }
      receiver.deliveries.push(event);
      res.writeHead(204).end();
    })();
  });
  receiver.url = await listen(server);
  receiver.close = () => closeServer(server);
  return receiver;
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `describe()`). */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, describe: () => string, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
