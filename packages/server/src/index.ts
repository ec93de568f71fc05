// Public surface of @wxpay-kit/server (re-exports only): build the app, load its configuration, and the ports an
// embedder implements to plug in its own store, gateway, clock or ids. The process itself is the `wxpay-kit-server`
// bin (src/server.ts); everything else is internal.
export { buildApp, serverOptions, wxpayKit } from './app.js';
export type { AppDeps, WxPayApp, WxPayKitOptions } from './app.js';
export { loadConfig, ConfigError } from './config.js';
export type { AppConfig, Env } from './config.js';
export type { FulfilmentHook } from './jobs/jobs.js';
export { GatewayError, LoginRejectedError } from './ports/gateway.js';
export type { LoginGateway, PaymentGateway } from './ports/gateway.js';
export type { Clock, IdSource } from './ports/clock.js';
export type { OutboxEvent, Store } from './ports/store.js';
