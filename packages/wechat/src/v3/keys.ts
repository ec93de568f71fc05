import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { WxPayConfigError } from '../errors.js';

/**
 * Key parsing done once, at construction: a bad PEM fails when the app starts, not at the first payment.
 * Error messages name the option, never the key material.
 */
export function loadRsaPrivateKey(key: string | Buffer | KeyObject, field = 'privateKey'): KeyObject {
  let parsed: KeyObject;
  try {
    parsed = key instanceof KeyObject ? key : createPrivateKey(key);
  } catch (cause) {
    throw new WxPayConfigError(`${field} is not a readable PEM private key`, { field, cause });
  }
  if (parsed.type !== 'private' || parsed.asymmetricKeyType !== 'rsa') {
    throw new WxPayConfigError(`${field} must be an RSA private key`, { field });
  }
  return parsed;
}

/** Accepts an SPKI/PKCS#1 public key PEM, a certificate PEM, or a KeyObject (public or private: its public half). */
export function loadRsaPublicKey(key: string | Buffer | KeyObject, field = 'publicKey'): KeyObject {
  let parsed: KeyObject;
  try {
    if (key instanceof KeyObject) parsed = key.type === 'private' ? createPublicKey(key) : key;
    else if (String(key).includes('BEGIN CERTIFICATE')) parsed = new X509Certificate(key).publicKey;
    else parsed = createPublicKey(key);
  } catch (cause) {
    throw new WxPayConfigError(`${field} is not a readable PEM public key or certificate`, { field, cause });
  }
  if (parsed.type !== 'public' || parsed.asymmetricKeyType !== 'rsa') {
    throw new WxPayConfigError(`${field} must be an RSA public key`, { field });
  }
  return parsed;
}

/** Parses a certificate PEM; returns its serial in upper-case hex (the form `Wechatpay-Serial` uses). */
export function loadCertificate(pem: string | Buffer, field = 'certificate'): { certificate: X509Certificate; serial: string } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (cause) {
    throw new WxPayConfigError(`${field} is not a readable PEM certificate`, { field, cause });
  }
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
    throw new WxPayConfigError(`${field} must carry an RSA key`, { field });
  }
  return { certificate, serial: normaliseSerial(certificate.serialNumber) };
}

/** Certificate serials are compared as upper-case hex without leading zero padding differences. */
export function normaliseSerial(serial: string): string {
  return serial.trim().toUpperCase();
}

/** Values that go inside the Authorization header's quoted fields must not break its syntax. */
export function assertHeaderSafe(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || !/^[\x21-\x7e]+$/.test(value) || /[",\\]/.test(value)) {
    throw new WxPayConfigError(`${field} must be a non-empty printable ASCII string without quotes or commas`, { field });
  }
  return value;
}
