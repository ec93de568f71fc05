// Injection tokens. Every injection names its token, so the app works without emitted decorator metadata (tsx,
// esbuild) as well as with it (tsc).
export const CONFIG = Symbol('ShopConfig');
export const LOGIN = Symbol('LoginClient');
export const PAY = Symbol('V3Client');
export const NOTIFY = Symbol('NotifyHandler');
export const STORE = Symbol('ShopStore');
export const LOGGER = Symbol('Logger');

export type Logger = { warn(message: string): void };
