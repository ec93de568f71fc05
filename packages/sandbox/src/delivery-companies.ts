/**
 * The carriers get_delivery_list answers: `delivery_id` (what upload_shipping_info takes as `express_company`) and
 * `delivery_name`. WeChat's real list holds well over a thousand (its sample says `count: 1379`); the sandbox answers
 * a few common ones, with the codes WeChat's own examples use. It does not check `express_company` against this list
 * on upload: WeChat documents no errcode for an unknown carrier.
 */
export const DELIVERY_COMPANIES: ReadonlyArray<readonly [id: string, name: string]> = [
  ['SF', '顺丰速运'],
  ['ZTO', '中通快递'],
  ['YTO', '圆通速递'],
  ['STO', '申通快递'],
  ['YD', '韵达速递'],
  ['JTSD', '极兔速递'],
  ['JD', '京东物流'],
  ['EMS', '中国邮政速递物流'],
  ['DHL', 'DHL'],
];
