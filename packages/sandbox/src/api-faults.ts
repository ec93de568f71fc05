import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.js';
import type { FaultScope } from './faults.js';

/** An HTTP answer, built before it is sent so a fault can replace it. */
export type Answer = { status: number; contentType: string; body: string | Buffer; headers?: Record<string, string> };

const DEFAULT_HOLD_MS = 30_000;

export function send(reply: FastifyReply, answer: Answer): FastifyReply {
  if (answer.headers !== undefined) void reply.headers(answer.headers);
  return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
}

function requestPath(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Run a WeChat API handler under the API faults: a matching fault answers 503, holds the connection without an answer
 * (timeout), or answers the protocol's SYSTEMERROR. With `apply` the request is processed first and only its answer is
 * replaced, so the merchant cannot know whether it landed — the case idempotent retries exist for.
 */
export async function answerWithFaults(
  ctx: SandboxContext,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: FaultScope,
  systemError: () => Answer,
  run: () => Answer | Promise<Answer>,
): Promise<FastifyReply> {
  const path = requestPath(request);
  const fault = ctx.faults.takeApiFault(path, scope) ?? (request.routeOptions.url === undefined || request.routeOptions.url === path
    ? undefined
    : ctx.faults.takeApiFault(request.routeOptions.url, scope));
  if (fault === undefined) return send(reply, await run());
  if (fault.apply === true) await run();
  if (fault.kind === '5xx') {
    return send(reply, { status: 503, contentType: 'text/plain; charset=utf-8', body: 'Service Unavailable' });
  }
  if (fault.kind === 'SYSTEMERROR') return send(reply, systemError());
  // timeout: never answer; drop the connection after holdMs (or when the client gives up, or on close).
  reply.hijack();
  const socket = request.raw.socket;
  ctx.heldSockets.add(socket);
  const timer = setTimeout(() => socket.destroy(), fault.holdMs ?? DEFAULT_HOLD_MS);
  timer.unref();
  socket.once('close', () => {
    clearTimeout(timer);
    ctx.heldSockets.delete(socket);
  });
  return reply;
}
