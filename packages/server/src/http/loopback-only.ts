/**
 * Who may use the sandbox's control API through the server. The cashier at /sandbox/wx/requestPayment marks orders
 * PAID with no money moving and /sandbox/merchants lists the demo merchant's keys, so by default only a client on this
 * machine gets them (docs/adr/0007). The decision rests on the TCP socket's remote address, which a client cannot
 * choose; headers can only take access away: a request that carries forwarding headers, or names a host other than a
 * loopback one, came through a reverse proxy (or a DNS-rebinding page in a browser) and is refused.
 */
import type { FastifyRequest } from 'fastify';
import { isIPv4 } from 'node:net';

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'] as const;

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

/** `localhost`, `*.localhost`, 127.x.y.z or [::1], with or without a port; an absent Host (HTTP/1.0) counts as local. */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  return isIPv4(name) && name.startsWith('127.');
}

export function isDirectLoopbackRequest(request: FastifyRequest): boolean {
  if (!isLoopbackAddress(request.raw.socket.remoteAddress)) return false;
  if (FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined)) return false;
  return isLoopbackHost(request.headers.host);
}
