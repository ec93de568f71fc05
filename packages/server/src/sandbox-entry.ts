// `@wxpay-kit/server/sandbox-mode`: what `wxpay-kit-server` does in sandbox mode, for a process that assembles the
// server itself around an external or in-process sandbox (the load benchmark's server child runs the built package
// this way, as production does). Re-exports only; nothing here is new behaviour.
export { startSandboxMode } from './sandbox-mode.js';
export type { SandboxRuntime } from './sandbox-mode.js';
export { createGateways } from './gateway/create.js';
export type { GatewayExtras } from './gateway/create.js';
export type { MerchantConfig } from './config.js';
