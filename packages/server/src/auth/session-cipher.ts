/**
 * session_key never leaves the server and is encrypted at rest: AES-256-GCM, a fresh 12-byte IV per value, the openid
 * as associated data (a ciphertext moved to another user's row fails to decrypt). The key is derived from
 * SESSION_SECRET with HKDF so the secret itself is never used directly as a cipher key.
 */
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto';

export class SessionCipher {
  private readonly key: Buffer;

  /**
   * `purpose` is HKDF's info: each use of SESSION_SECRET (session_key, merchant secrets) gets its own derived key,
   * so a value sealed for one purpose never opens as another.
   */
  constructor(secret: string, purpose = 'wxpay-kit/session-key/v1') {
    if (secret.length < 32) throw new Error('session secret must be at least 32 characters');
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), Buffer.from(purpose), 32));
  }

  encrypt(plain: string, openid: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(openid, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(sealed: string, openid: string): string {
    const [version, iv, ct, tag] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || ct === undefined || tag === undefined) throw new Error('unknown session key format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(openid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Only the hash of a bearer token is stored: a leaked database does not hand out sessions. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}
