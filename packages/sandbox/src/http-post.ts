import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type PostResult = { status: number; body: string };

/** Largest answer read from a merchant; WeChat only needs a few bytes of it. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POST a notification the way WeChat's notifier does: one request, no connection reuse (so merchant test servers
 * close cleanly), a hard timeout (WeChat gives the merchant 5 seconds), and a bounded answer.
 */
export function postOnce(
  url: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error('invalid notify_url'));
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
    if (send === undefined) {
      reject(new Error('notify_url must be http or https'));
      return;
    }
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const req = send(
      target,
      {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'Content-Length': String(payload.length), Connection: 'close' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
