// The console imports the server's zod schemas for their types only. One of the server's ports (the gateway, reached
// through the reconciliation schema) names Node's Buffer in a signature the console never uses; the console is built
// without Node's types, so Buffer is declared here as what it is to a browser, bytes.
interface Buffer extends Uint8Array {}
