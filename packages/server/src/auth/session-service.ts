/** Login (code2Session) and bearer-token sessions. */
import type { Clock, IdSource } from '../ports/clock.js';
import type { LoginGateway } from '../ports/gateway.js';
import type { SessionStore } from '../ports/store.js';
import { hashToken } from './session-cipher.js';
import { DEFAULT_MERCHANT_ID } from '../domain/merchant-identity.js';
import type { SessionCipher } from './session-cipher.js';

export type SessionServiceOptions = {
  store: SessionStore;
  login: LoginGateway;
  cipher: SessionCipher;
  clock: Clock;
  ids: IdSource;
  ttlMs: number;
  /** The merchant (mini program) this service logs in to; its id is written on every session (issue 16). */
  merchantId?: string | undefined;
};

export class SessionService {
  constructor(private readonly o: SessionServiceOptions) {}

  /** Exchanges a wx.login code; throws LoginRejectedError for a bad code, GatewayError when WeChat is unreachable. */
  async login(code: string): Promise<{ token: string; openid: string; expiresAt: number }> {
    const result = await this.o.login.code2Session(code);
    const token = this.o.ids.token();
    const now = this.o.clock.now();
    const expiresAt = now + this.o.ttlMs;
    await this.o.store.insertSession({
      tokenHash: hashToken(token),
      merchantId: this.o.merchantId,
      openid: result.openid,
      sessionKeyEnc: this.o.cipher.encrypt(result.sessionKey, result.openid),
      createdAt: now,
      expiresAt,
    });
    return { token, openid: result.openid, expiresAt };
  }

  /** code2Session only, nothing stored: a made-up code tells whether WeChat takes this appid and secret (40029). */
  async probeLogin(code: string): Promise<void> {
    await this.o.login.code2Session(code);
  }

  /** The session's user and the merchant (mini program) it logged in to; any merchant's SessionService can tell. */
  async authenticate(token: string): Promise<{ openid: string; merchantId: string } | undefined> {
    if (token.length < 16 || token.length > 256) return undefined;
    const session = await this.o.store.findSession(hashToken(token), this.o.clock.now());
    return session === undefined ? undefined : { openid: session.openid, merchantId: session.merchantId ?? DEFAULT_MERCHANT_ID };
  }
}
