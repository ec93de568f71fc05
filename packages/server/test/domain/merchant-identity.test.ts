import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameMerchant } from '../../src/domain/merchant-identity.js';

test('sameMerchant: mchid always, appid when reported, sub_mchid exactly (absent for a direct merchant)', () => {
  const direct = { appid: 'wxA', mchid: '100' };
  const subA = { appid: 'wxSP', mchid: '900', subMchid: '901' };
  const rows: [string, typeof direct | typeof subA, { appid: string | undefined; mchid: string; subMchid?: string }, boolean][] = [
    ['direct, same', direct, { appid: 'wxA', mchid: '100' }, true],
    ['direct, no appid reported (v3 refund)', direct, { appid: undefined, mchid: '100' }, true],
    ['direct, other mchid', direct, { appid: 'wxA', mchid: '101' }, false],
    ['direct, other appid', direct, { appid: 'wxB', mchid: '100' }, false],
    ['direct, a sub-merchant report', direct, { appid: 'wxA', mchid: '100', subMchid: '901' }, false],
    ['sub, same', subA, { appid: 'wxSP', mchid: '900', subMchid: '901' }, true],
    ['sub, the sibling sub-merchant', subA, { appid: 'wxSP', mchid: '900', subMchid: '902' }, false],
    ['sub, a direct report of the provider', subA, { appid: 'wxSP', mchid: '900' }, false],
    ['sub, another provider', subA, { appid: 'wxSP', mchid: '800', subMchid: '901' }, false],
  ];
  for (const [name, ours, reported, expected] of rows) assert.equal(sameMerchant(ours, reported), expected, name);
});
