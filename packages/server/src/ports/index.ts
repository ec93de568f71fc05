export * from './clock.js';
export * from './gateway.js';
export * from './store.js';
