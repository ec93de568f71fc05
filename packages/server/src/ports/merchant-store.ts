/** Merchants as rows (issue 16). Secrets arrive here already sealed: the store never sees them in clear. */
import type { MerchantSettings, PayMode } from '../merchants/merchant.js';

export type StoredMerchant = {
  id: string;
  name: string;
  appid: string;
  mchid: string;
  apiVersion: 'v2' | 'v3';
  payMode: PayMode;
  subMchid: string | undefined;
  settings: MerchantSettings;
  /** The sealed MerchantSecrets (merchants/merchant-vault.ts). */
  secretsEnc: string;
  createdAt: number;
};

export interface MerchantStore {
  /** False when the id or the appid is taken (nothing changed). */
  insertMerchant(merchant: StoredMerchant): Promise<boolean>;
  getMerchant(id: string): Promise<StoredMerchant | undefined>;
  getMerchantByAppid(appid: string): Promise<StoredMerchant | undefined>;
  /** Oldest first. */
  listMerchants(): Promise<StoredMerchant[]>;
}
