/**
 * Merchant secrets at rest: sealed with the session_key scheme (auth/session-cipher.ts: AES-256-GCM, a fresh IV, a
 * key derived from SESSION_SECRET by HKDF) under a purpose of their own, with the merchant id as associated data, so
 * a sealed value copied to another merchant's row does not open. Clear secrets exist only in memory, in the gateways.
 */
import { SessionCipher } from '../auth/session-cipher.js';
import type { Merchant, MerchantSecrets } from './merchant.js';
import type { StoredMerchant } from '../ports/merchant-store.js';

export class MerchantVault {
  private readonly cipher: SessionCipher;

  constructor(secret: string) {
    this.cipher = new SessionCipher(secret, 'wxpay-kit/merchant-secrets/v1');
  }

  seal(m: Merchant): StoredMerchant {
    const { secrets, ...rest } = m;
    return { ...rest, subMchid: m.subMchid, secretsEnc: this.cipher.encrypt(JSON.stringify(secrets), m.id) };
  }

  /** Throws (without the value) when the row was sealed under another SESSION_SECRET or for another merchant. */
  open(row: StoredMerchant): Merchant {
    let secrets: MerchantSecrets;
    try {
      secrets = JSON.parse(this.cipher.decrypt(row.secretsEnc, row.id)) as MerchantSecrets;
    } catch {
      throw new Error(`the secrets of merchant ${row.id} do not open with this SESSION_SECRET`);
    }
    const { secretsEnc: _sealed, ...rest } = row;
    return { ...rest, secrets };
  }
}
