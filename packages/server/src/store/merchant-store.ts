/** MerchantStore over Kysely: the merchants table of migration 0009. */
import type { Kysely, Selectable } from 'kysely';
import type { MerchantSettings } from '../merchants/merchant.js';
import type { MerchantStore, StoredMerchant } from '../ports/merchant-store.js';
import { undef } from './rows.js';
import type { Database, MerchantsTable } from './schema.js';

function toMerchant(row: Selectable<MerchantsTable>): StoredMerchant {
  return {
    id: row.id,
    name: row.name,
    appid: row.appid,
    mchid: row.mchid,
    apiVersion: row.api_version === 'v3' ? 'v3' : 'v2',
    payMode: row.pay_mode === 'partner' ? 'partner' : 'direct',
    subMchid: undef(row.sub_mchid),
    settings: JSON.parse(row.settings_json) as MerchantSettings,
    secretsEnc: row.secrets_enc,
    createdAt: Number(row.created_at),
  };
}

export class KyselyMerchantStore implements MerchantStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertMerchant(m: StoredMerchant): Promise<boolean> {
    const taken = await this.db.selectFrom('merchants').select('id').where((eb) => eb.or([eb('id', '=', m.id), eb('appid', '=', m.appid)])).executeTakeFirst();
    if (taken !== undefined) return false;
    const row = await this.db
      .insertInto('merchants')
      .values({
        id: m.id,
        name: m.name,
        appid: m.appid,
        mchid: m.mchid,
        api_version: m.apiVersion,
        pay_mode: m.payMode,
        sub_mchid: m.subMchid ?? null,
        sub_appid: m.payMode === 'partner' ? m.appid : null,
        settings_json: JSON.stringify(m.settings),
        secrets_enc: m.secretsEnc,
        created_at: m.createdAt,
      })
      // Two admins adding the same id (or appid) at once: the unique constraints pick one.
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async getMerchant(id: string): Promise<StoredMerchant | undefined> {
    const row = await this.db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toMerchant(row);
  }

  async getMerchantByAppid(appid: string): Promise<StoredMerchant | undefined> {
    const row = await this.db.selectFrom('merchants').selectAll().where('appid', '=', appid).executeTakeFirst();
    return row === undefined ? undefined : toMerchant(row);
  }

  async listMerchants(): Promise<StoredMerchant[]> {
    const rows = await this.db.selectFrom('merchants').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toMerchant);
  }
}
