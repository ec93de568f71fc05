// Public surface of this part; each module adds its exports here.
export { createLoginClient, type LoginClient, type LoginClientOptions, type Code2SessionResult } from './code2session.js';
export {
  createAccessTokenManager,
  isAccessTokenRejected,
  type AccessTokenManager,
  type AccessTokenManagerOptions,
} from './access-token.js';
export { MemoryTokenStore, type TokenStore, type StoredToken, type TokenLockRelease } from './token-store.js';
export { WECHAT_API_BASE, type LoginFetch, type LoginFetchInit, type LoginFetchResponse } from './http.js';
