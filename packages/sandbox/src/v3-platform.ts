import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import {
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_PEM,
} from '@wxpay-kit/wechat/testing';
import type { SandboxMerchant, V3KeyMode } from './state/types.js';

/**
 * WeChat Pay's side of v3 key material in the sandbox: a platform certificate (older merchants download it from
 * /v3/certificates) and a WeChat Pay public key named by a `PUB_KEY_ID_…` id (merchants since 2024). Both are the
 * committed public test keys of @wxpay-kit/wechat/testing, so every sandbox signs with the same keys and a backend
 * can be configured once. Which key signs depends on the merchant's key mode.
 */

export type PlatformKey = { serial: string; privateKey: KeyObject };

const certificate = new X509Certificate(SANDBOX_PLATFORM_CERTIFICATE_PEM);

export const PLATFORM_CERTIFICATE_KEY: PlatformKey = {
  serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  privateKey: createPrivateKey(SANDBOX_PLATFORM_PRIVATE_KEY_PEM),
};

export const PUBLIC_KEY_MODE_KEY: PlatformKey = {
  serial: SANDBOX_PUBLIC_KEY_ID,
  privateKey: createPrivateKey(SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM),
};

/** What GET /sandbox/merchants shows so a merchant can configure its verifier (public material only). */
export const PLATFORM_PUBLIC_MATERIAL = Object.freeze({
  platformCertificateSerial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  platformCertificatePem: SANDBOX_PLATFORM_CERTIFICATE_PEM,
  platformCertificateValidFrom: Date.parse(certificate.validFrom),
  platformCertificateValidTo: Date.parse(certificate.validTo),
  publicKeyId: SANDBOX_PUBLIC_KEY_ID,
  publicKeyPem: SANDBOX_PUBLIC_KEY_PEM,
});

export function keyModeOf(merchant: SandboxMerchant): V3KeyMode {
  return merchant.v3KeyMode ?? 'publicKey';
}

/** The keys WeChat may sign with for this merchant. */
export function keysFor(merchant: SandboxMerchant): PlatformKey[] {
  const mode = keyModeOf(merchant);
  if (mode === 'certificate') return [PLATFORM_CERTIFICATE_KEY];
  if (mode === 'publicKey') return [PUBLIC_KEY_MODE_KEY];
  return [PLATFORM_CERTIFICATE_KEY, PUBLIC_KEY_MODE_KEY];
}

/**
 * The key for an API answer: the one the request's `Wechatpay-Serial` names when this merchant has it (that is how
 * WeChat answers during migration), otherwise the merchant's own mode (migrating merchants: the certificate, which
 * they had before).
 */
export function answerKeyFor(merchant: SandboxMerchant, requestedSerial: string | undefined): PlatformKey {
  const keys = keysFor(merchant);
  return keys.find((k) => k.serial === requestedSerial) ?? keys[0]!;
}

/**
 * The key for one notification attempt. Migrating merchants get either, chosen per message (as WeChat ramps the
 * public key up during migration); the choice alternates with the attempt so retries exercise both.
 */
export function notificationKeyFor(merchant: SandboxMerchant, seed: number): PlatformKey {
  const keys = keysFor(merchant);
  return keys[seed % keys.length]!;
}

/** The other key: a signature made with it does not verify under the named serial (the badSignature fault). */
export function wrongKeyFor(key: PlatformKey): KeyObject {
  return key === PLATFORM_CERTIFICATE_KEY ? PUBLIC_KEY_MODE_KEY.privateKey : PLATFORM_CERTIFICATE_KEY.privateKey;
}
