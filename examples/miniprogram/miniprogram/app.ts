import { shop } from './shop';

App({
  onLaunch() {
    // Log in early so the first screen does not wait for it. The client logs in by itself
    // anyway when a call finds no token, and renews the token when the server says it expired.
    shop.login().catch((err: unknown) => console.warn('login failed', err));
  },
});
