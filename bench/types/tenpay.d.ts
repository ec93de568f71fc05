// Minimal declarations for the parts of `tenpay` (untyped CommonJS) the benchmark calls.
declare module 'tenpay' {
  type Fields = Record<string, string>;
  class Payment {
    constructor(config: { appid: string; mchid: string; partnerKey: string; notify_url?: string; spbill_create_ip?: string });
    _getSign(params: Record<string, string | number>, type?: string): string;
    _parse(xml: string, type: string, signType?: string): Promise<Fields & { req_info?: Fields }>;
    getPayParamsByPrepay(params: { prepay_id: string }, signType?: string): {
      appId: string; timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string;
    };
  }
  export default Payment;
}

declare module 'tenpay/lib/util.js' {
  const util: {
    buildXML(obj: Record<string, string | number>, rootName?: string): string;
    parseXML(xml: string): Promise<Record<string, string>>;
    decrypt(encrypted: string, key: string, iv?: string): string;
    md5(text: string): string;
  };
  export default util;
}
