import { WxPayApiError, WxPayConfigError, WxPayNetworkError, WxPayProtocolError } from '../errors.js';
import { callWeChatJson, checkBaseUrl, defaultLoginFetch, type LoginFetch } from './http.js';
import { MemoryTokenStore, type StoredToken, type TokenStore } from './token-store.js';

export type AccessTokenManagerOptions = {
  appid: string;
  secret: string;
  /** Default https://api.weixin.qq.com. */
  baseUrl?: string;
  /**
   * Use getStableAccessToken (POST /cgi-bin/stable_token): fetching does not invalidate the current token, so it is
   * the safer choice when several systems share an appid. Default false (GET /cgi-bin/token).
   */
  stable?: boolean;
  /** Shared store; default a MemoryTokenStore (one process). */
  store?: TokenStore;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  /** Refresh this long before expiry (default 300 s, WeChat's overlap window). */
  refreshMarginSeconds?: number;
  fetch?: LoginFetch;
  timeoutMs?: number;
  /** While another process holds the refresh lock: how often to look for its token, and for how long. */
  lockWait?: { pollMs?: number; maxMs?: number };
  /** How waiting happens; injectable so tests never sleep. */
  sleep?: (ms: number) => Promise<void>;
};

export type AccessTokenManager = {
  /** A token valid for at least the refresh margin; fetched, shared and cached as needed. */
  getToken(): Promise<string>;
  /**
   * Report a token WeChat refused (errcode 40001 / 42001). The next getToken fetches a new one unless another
   * process already replaced it. Invalidating a token that is no longer current does nothing.
   */
  invalidate(token: string): Promise<void>;
  /** Run `call` with a token; if it fails with 40001/42001, invalidate and run it once more with a fresh token. */
  withToken<T>(call: (token: string) => Promise<T>): Promise<T>;
};

/** errcodes that mean "this access_token is not (or no longer) valid". */
export function isAccessTokenRejected(error: unknown): boolean {
  return error instanceof WxPayApiError && (error.code === '40001' || error.code === '42001' || error.code === '40014');
}

export function createAccessTokenManager(options: AccessTokenManagerOptions): AccessTokenManager {
  const { appid, secret } = options;
  if (typeof appid !== 'string' || appid === '') throw new WxPayConfigError('appid is required', { field: 'appid' });
  if (typeof secret !== 'string' || secret === '') throw new WxPayConfigError('secret is required', { field: 'secret' });
  const baseUrl = checkBaseUrl(options.baseUrl);
  if (baseUrl === '') throw new WxPayConfigError('baseUrl must be an http(s) URL', { field: 'baseUrl' });
  const clock = options.clock ?? Date.now;
  const store = options.store ?? new MemoryTokenStore(clock);
  const marginMs = (options.refreshMarginSeconds ?? 300) * 1000;
  if (!Number.isFinite(marginMs) || marginMs < 0) throw new WxPayConfigError('refreshMarginSeconds must be ≥ 0', { field: 'refreshMarginSeconds' });
  const fetchImpl = options.fetch ?? defaultLoginFetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const pollMs = options.lockWait?.pollMs ?? 200;
  const maxWaitMs = options.lockWait?.maxMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stable = options.stable ?? false;
  const key = `wechat:access_token:${stable ? 'stable:' : ''}${appid}`;

  let cached: StoredToken | undefined;
  let rejected: string | undefined;
  let inflight: Promise<string> | undefined;
  let forceNext = false;

  const usable = (t: StoredToken | undefined): t is StoredToken =>
    t !== undefined && t.token !== rejected && t.expiresAt - marginMs > clock();

  async function fetchToken(force: boolean): Promise<StoredToken> {
    const body = stable
      ? await callWeChatJson(fetchImpl, 'stable_token', `${baseUrl}/cgi-bin/stable_token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant_type: 'client_credential', appid, secret, force_refresh: force }),
        }, timeoutMs)
      : await callWeChatJson(
          fetchImpl,
          'getAccessToken',
          `${baseUrl}/cgi-bin/token?${new URLSearchParams({ grant_type: 'client_credential', appid, secret })}`,
          { method: 'GET' },
          timeoutMs,
        );
    const token = body.access_token;
    const expiresIn = body.expires_in;
    if (typeof token !== 'string' || token === '') throw new WxPayProtocolError('access token answer has no access_token');
    if (typeof expiresIn !== 'number' || !Number.isSafeInteger(expiresIn) || expiresIn <= 0) {
      throw new WxPayProtocolError('access token answer has no valid expires_in');
    }
    return { token, expiresAt: clock() + expiresIn * 1000 };
  }

  async function refresh(): Promise<string> {
    const shared = await store.get(key);
    if (usable(shared)) return adopt(shared);
    const release = store.lock ? await store.lock(key, timeoutMs * 2 + 1000) : async () => {};
    if (release === undefined) {
      // Another process is refreshing: wait for its token rather than fetch one that would knock its out.
      for (let waited = 0; waited < maxWaitMs; waited += pollMs) {
        await sleep(pollMs);
        const next = await store.get(key);
        if (usable(next)) return adopt(next);
      }
      throw new WxPayNetworkError('access token refresh by another process did not finish in time', { outcomeUnknown: false, code: 'TOKEN_LOCK_TIMEOUT' });
    }
    try {
      // Double-check under the lock: the previous holder may have stored a token just now.
      const again = await store.get(key);
      if (usable(again)) return adopt(again);
      const force = forceNext;
      const fresh = await fetchToken(force);
      forceNext = false;
      const ttlSeconds = Math.max(1, Math.floor((fresh.expiresAt - clock()) / 1000));
      await store.set(key, fresh, ttlSeconds);
      return adopt(fresh);
    } finally {
      await release();
    }
  }

  function adopt(token: StoredToken): string {
    cached = token;
    return token.token;
  }

  const manager: AccessTokenManager = {
    async getToken() {
      if (usable(cached)) return cached.token;
      // Single flight: concurrent callers in this process share one refresh.
      inflight ??= refresh().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    async invalidate(token) {
      // A report about a token we have already replaced changes nothing (and must not force a stable_token refresh).
      if (cached !== undefined && cached.token !== token) return;
      cached = undefined;
      rejected = token;
      forceNext = true;
    },
    async withToken(call) {
      const token = await manager.getToken();
      try {
        return await call(token);
      } catch (error) {
        if (!isAccessTokenRejected(error)) throw error;
        await manager.invalidate(token);
        return call(await manager.getToken());
      }
    },
  };
  return manager;
}
