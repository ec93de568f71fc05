// The console imports the server's zod schemas for their types only. One of the server's ports (the gateway, reached
// through the reconciliation schema) names Node's Buffer in a signature the console never uses; the console is built
// without Node's types, so Buffer is declared here as what it is to a browser, bytes.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface (not an alias) so it merges like Node's would
interface Buffer extends Uint8Array {}
