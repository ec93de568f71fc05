/**
 * The one rule for "this request certainly never reached WeChat". Only failures that happen before a single byte of
 * the HTTP request can have left this process prove it: the name did not resolve, nothing accepted the connection, the
 * connection attempt timed out, or the TLS handshake failed (the request is written only after the handshake).
 * Anything later — a reset, a socket closed mid-answer, our own timeout, an abort — leaves the outcome unknown: WeChat
 * may have acted on the request. A code not listed here counts as outcome unknown: the safe side.
 */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  // DNS
  'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA',
  // TCP connect
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // TLS handshake (certificate checks happen before any request byte is written)
  'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The error code a fetch failure carries, looking through `cause` chains (undici wraps it in a TypeError). */
export function networkErrorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    // Happy-eyeballs connects (one attempt per address) fail with an AggregateError of per-address errors.
    if (Array.isArray(errors) && errors.length > 0) return aggregateCode(errors);
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function aggregateCode(errors: readonly unknown[]): string | undefined {
  const codes = errors.map(networkErrorCode);
  // Never sent only if no attempt got further than connecting; otherwise report the first unknown-outcome code.
  return codes.find((c) => c === undefined || !NEVER_SENT_CODES.has(c)) ?? codes[0];
}

/** Whether `code` proves the request never left (see the rule above). */
export function isNeverSentCode(code: string | undefined): boolean {
  return code !== undefined && NEVER_SENT_CODES.has(code);
}

/** Whether a fetch failure proves the request never reached WeChat. */
export function provesNeverSent(error: unknown): boolean {
  return isNeverSentCode(networkErrorCode(error));
}
