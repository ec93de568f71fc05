// Signing as WeChat does, for the sandbox and tests.
export {};
