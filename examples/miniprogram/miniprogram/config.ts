// Where the wxpay-kit server lives. In DevTools with "Do not verify valid domain names" ticked,
// http://127.0.0.1:3000 (npm start, sandbox mode) works; on a phone it must be an https domain
// listed under request legal domains in the mini program's admin console.
export const SERVER_BASE_URL = 'http://127.0.0.1:3000';
