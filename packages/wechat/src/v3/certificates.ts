import { WxPayProtocolError } from '../errors.js';
import { assertApiV3Key, decryptV3Resource } from './aead.js';
import type { V3Clock } from './auth.js';
import { isJsonObject, parseJsonObject, v3ApiError } from './http.js';
import type { V3RawResponse } from './http.js';
import { normaliseSerial } from './keys.js';
import { parsePlatformCertificate, verifyV3Signature, verifyWithPlatformCertificate } from './verifier.js';
import type { PlatformCertificate, Verifier } from './verifier.js';

/** Path of the platform certificate download (signed like any GET). */
export const V3_CERTIFICATES_PATH = '/v3/certificates';

export type PlatformCertificateManagerOptions = {
  apiV3Key: string;
  /** Performs the signed GET /v3/certificates and returns the raw, not yet verified answer. */
  download: () => Promise<V3RawResponse>;
  clock?: V3Clock | undefined;
  /** Proactive refresh period; the download happens on the next use after it (no timers). Default 12 h. */
  refreshIntervalMs?: number | undefined;
  /** Refresh early when the newest certificate expires within this margin. Default 7 days. */
  expiryMarginMs?: number | undefined;
  /** At most one unknown-serial download per this period, so forged serials cannot make us hammer WeChat. Default 60 s. */
  minRefreshIntervalMs?: number | undefined;
};

/**
 * Decrypts and checks a `/v3/certificates` answer: every certificate decrypted with the APIv3 key (algorithm pinned,
 * tag checked), its serial must match `serial_no`, and the answer's own signature must verify with a certificate
 * named by `Wechatpay-Serial`, from this download or already trusted (as WeChat's SDKs bootstrap).
 */
export async function parseCertificatesDownload(
  raw: V3RawResponse,
  options: { apiV3Key: string | Buffer; clock?: V3Clock | undefined; trusted?: readonly PlatformCertificate[] },
): Promise<PlatformCertificate[]> {
  if (raw.status !== 200) throw v3ApiError(raw);
  const body = parseJsonObject(raw.body, '/v3/certificates answer', raw.requestId);
  const data = body.data;
  if (!Array.isArray(data) || data.length === 0) {
    throw new WxPayProtocolError('/v3/certificates answer has no data', { requestId: raw.requestId });
  }
  const downloaded: PlatformCertificate[] = [];
  for (const item of data) {
    const enc = isJsonObject(item) ? item.encrypt_certificate : undefined;
    if (!isJsonObject(item) || typeof item.serial_no !== 'string' || !isJsonObject(enc)) {
      throw new WxPayProtocolError('/v3/certificates entry is malformed', { requestId: raw.requestId });
    }
    const { algorithm, nonce, ciphertext, associated_data: aad } = enc;
    if (typeof algorithm !== 'string' || typeof nonce !== 'string' || typeof ciphertext !== 'string' || (aad !== undefined && typeof aad !== 'string')) {
      throw new WxPayProtocolError('/v3/certificates encrypt_certificate is malformed', { requestId: raw.requestId });
    }
    const pem = decryptV3Resource({ algorithm, nonce, ciphertext, associated_data: aad }, options.apiV3Key);
    const cert = parsePlatformCertificate(pem, 'downloaded platform certificate');
    if (cert.serial !== normaliseSerial(item.serial_no)) {
      throw new WxPayProtocolError('downloaded certificate serial does not match serial_no', { requestId: raw.requestId });
    }
    downloaded.push(cert);
  }
  const candidates = new Map<string, PlatformCertificate>();
  for (const c of options.trusted ?? []) candidates.set(c.serial, c);
  for (const c of downloaded) candidates.set(c.serial, c);
  const clock = options.clock ?? Date.now;
  const verifier: Verifier = {
    has: (serial) => candidates.has(normaliseSerial(serial)),
    verify: (serial, message, signature) =>
      verifyWithPlatformCertificate(candidates.get(normaliseSerial(serial)), clock(), message, signature),
  };
  await verifyV3Signature(raw.headers, raw.body, { verifier, clock, requestId: raw.requestId });
  return downloaded;
}

/**
 * Platform-certificate mode: downloads `/v3/certificates`, caches the certificates by serial, refreshes them
 * before they expire and, rate limited, when a message names a serial it does not hold (certificate rotation).
 */
export class PlatformCertificateManager implements Verifier {
  readonly #apiV3Key: Buffer;
  readonly #download: () => Promise<V3RawResponse>;
  readonly #clock: V3Clock;
  readonly #refreshIntervalMs: number;
  readonly #expiryMarginMs: number;
  readonly #minRefreshIntervalMs: number;
  #certs = new Map<string, PlatformCertificate>();
  #lastSuccess = Number.NEGATIVE_INFINITY;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #lastError: unknown;

  constructor(options: PlatformCertificateManagerOptions) {
    this.#apiV3Key = assertApiV3Key(options.apiV3Key);
    this.#download = options.download;
    this.#clock = options.clock ?? Date.now;
    this.#refreshIntervalMs = options.refreshIntervalMs ?? 12 * 3600_000;
    this.#expiryMarginMs = options.expiryMarginMs ?? 7 * 86400_000;
    this.#minRefreshIntervalMs = options.minRefreshIntervalMs ?? 60_000;
  }

  /** Serials currently held (upper-case hex). */
  serials(): string[] {
    return [...this.#certs.keys()];
  }

  /** The certificates currently held. */
  certificates(): PlatformCertificate[] {
    return [...this.#certs.values()];
  }

  /** The error of the last failed download, if the most recent attempt failed. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Downloads now (single flight: concurrent callers share one download). Throws if the download fails. */
  refresh(): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    this.#lastAttempt = this.#clock();
    const run = (async () => {
      try {
        const raw = await this.#download();
        const certs = await parseCertificatesDownload(raw, {
          apiV3Key: this.#apiV3Key,
          clock: this.#clock,
          trusted: [...this.#certs.values()],
        });
        // WeChat lists every certificate still in use, so the answer replaces the cache.
        this.#certs = new Map(certs.map((c) => [c.serial, c]));
        this.#lastSuccess = this.#clock();
        this.#lastError = undefined;
      } catch (error) {
        this.#lastError = error;
        throw error;
      } finally {
        this.#inFlight = undefined;
      }
    })();
    this.#inFlight = run;
    return run;
  }

  #needsRefresh(now: number): boolean {
    if (now - this.#lastSuccess >= this.#refreshIntervalMs) return true;
    let newest = Number.NEGATIVE_INFINITY;
    for (const c of this.#certs.values()) newest = Math.max(newest, c.notAfter);
    return newest - now <= this.#expiryMarginMs;
  }

  has(serial: string): boolean {
    const now = this.#clock();
    // Proactive refresh in the background; verification keeps using the cached certificates meanwhile.
    if (this.#certs.size > 0 && this.#needsRefresh(now) && now - this.#lastAttempt >= this.#minRefreshIntervalMs) {
      this.refresh().catch(() => undefined);
    }
    const cert = this.#certs.get(normaliseSerial(serial));
    return cert !== undefined && now >= cert.notBefore && now <= cert.notAfter;
  }

  verify(serial: string, message: string | Uint8Array, signature: string): boolean {
    return verifyWithPlatformCertificate(this.#certs.get(normaliseSerial(serial)), this.#clock(), message, signature);
  }

  /**
   * A download failure is thrown rather than reported as "unknown serial": a wrong APIv3 key (WxPayDecryptError) or
   * a merchant without platform certificates (404 RESOURCE_NOT_EXISTS) should say so. Either way nothing verifies.
   */
  async onUnknownSerial(serial: string): Promise<boolean> {
    if (this.#inFlight !== undefined) {
      await this.#inFlight;
      return this.has(serial);
    }
    if (this.#clock() - this.#lastAttempt < this.#minRefreshIntervalMs) return false;
    await this.refresh();
    return this.has(serial);
  }
}
