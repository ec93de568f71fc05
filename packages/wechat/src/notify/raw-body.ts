/**
 * Getting the exact bytes of a notification out of a Node request, whatever body parser the app has installed.
 * Typed structurally: the SDK depends on no framework (nor on @types of one).
 */
import type { NotifyHandler, NotifyHeaders, NotifyReply } from './handler.js';

/** The part of node:http's IncomingMessage the adapters use. */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>;
  readonly readableEnded?: boolean;
  readonly readableDidRead?: boolean;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  pause?(): unknown;
  resume?(): unknown;
}

/** The part of node:http's ServerResponse the adapters use. */
export interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string): unknown;
  readonly headersSent?: boolean;
}

export type RawBodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too_large' | 'body_consumed' | 'unreadable' };

/** Whether something (a body parser) already read this request's stream. */
export function streamConsumed(req: NodeRequestLike): boolean {
  // body-parser (Express 4) also marks parsed requests with `_body`.
  return req.readableDidRead === true || req.readableEnded === true || (req as { _body?: unknown })._body === true;
}

/** A raw copy a parser or framework kept: a Buffer, or the text it decoded (as `rawBody` conventions do). */
export function rawCopy(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}

/** Reads an untouched request stream, stopping as soon as it exceeds `maxBytes`. */
export function readStream(req: NodeRequestLike, maxBytes: number): Promise<RawBodyResult> {
  const declared = Number(firstHeader(req.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false, reason: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      size += buf.length;
      if (size > maxBytes) {
        cleanup();
        // Stop buffering; the rest is discarded while the refusal is sent (the adapter closes the connection).
        req.resume?.();
        resolve({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ ok: true, body: Buffer.concat(chunks, size) });
    };
    const onError = (): void => {
      cleanup();
      resolve({ ok: false, reason: 'unreadable' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.resume?.();
  });
}

function firstHeader(headers: NodeRequestLike['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The raw body by the one rule every adapter follows: a raw copy kept by the framework or a parser wins; an untouched
 * stream is read (with the size limit); a stream a parser consumed without keeping a copy fails closed.
 */
export async function captureRawBody(req: NodeRequestLike, copies: readonly unknown[], maxBytes: number): Promise<RawBodyResult> {
  for (const copy of copies) {
    const raw = rawCopy(copy);
    if (raw !== undefined) return { ok: true, body: raw };
  }
  if (streamConsumed(req)) return { ok: false, reason: 'body_consumed' };
  return readStream(req, maxBytes);
}

/** Runs the handler on a captured body, or its refusal with the adapter's own advice for a consumed body. */
export async function answer(
  handler: NotifyHandler,
  headers: NotifyHeaders,
  captured: RawBodyResult,
  fixHint: string,
): Promise<NotifyReply> {
  if (captured.ok) return handler.handle({ headers, body: captured.body });
  if (captured.reason === 'body_consumed') {
    return handler.refuse('body_consumed', `the request body was consumed by a body parser before the notification handler and no raw copy was kept; ${fixHint}`);
  }
  return handler.refuse(captured.reason);
}

/** Writes a reply on a node:http response (Express and NestJS on Express use this too). */
export function sendNodeReply(res: NodeResponseLike, reply: NotifyReply, closeConnection = false): void {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  // After an oversized body the rest of the stream is not worth reading: close instead of keeping the connection.
  if (closeConnection) res.setHeader('Connection', 'close');
  if (reply.body !== '') res.setHeader('Content-Length', Buffer.byteLength(reply.body));
  res.end(reply.body);
}
