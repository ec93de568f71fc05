/**
 * Sandbox mode with API v3: the demo merchant's API key pair (apiclient_key.pem) and certificate serial, generated
 * on first start and kept under the data directory, so restarts keep the same identity and nothing secret-looking
 * is committed. Only the public half and the serial go to the sandbox; the private key stays with the server.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';

export type SandboxMerchantKey = { privateKeyPem: string; publicKeyPem: string; serialNo: string };

export const KEY_FILE = 'sandbox-merchant-apiclient_key.pem';
export const SERIAL_FILE = 'sandbox-merchant-cert-serial.txt';

export function loadOrCreateSandboxMerchantKey(dataDir: string): SandboxMerchantKey {
  const keyPath = join(dataDir, KEY_FILE);
  const serialPath = join(dataDir, SERIAL_FILE);
  if (!existsSync(keyPath) || !existsSync(serialPath)) {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // Owner-only, like a real apiclient_key.pem; 40 upper-case hex digits, like a real certificate serial.
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    writeFileSync(serialPath, `${randomBytes(20).toString('hex').toUpperCase()}\n`, { mode: 0o600 });
  }
  try {
    const privateKeyPem = readFileSync(keyPath, 'utf8');
    const serialNo = readFileSync(serialPath, 'utf8').trim();
    if (!/^[0-9A-F]{8,64}$/.test(serialNo)) throw new Error('bad serial');
    const publicKeyPem = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
    return { privateKeyPem, publicKeyPem, serialNo };
  } catch {
    throw new ConfigError('WXPAY_MODE', `the sandbox merchant key in ${dataDir} (${KEY_FILE}, ${SERIAL_FILE}) is unreadable; delete both to make a new one`);
  }
}
