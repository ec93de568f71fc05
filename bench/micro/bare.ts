// The practical limit on Node: the same work as each SDK operation, written directly on node:crypto with keys parsed
// once into KeyObjects / Buffers, and a minimal flat-XML scanner. No validation beyond what the protocol needs to be
// correct, so it is the ceiling the other implementations are measured against, not a production implementation.
import { createCipheriv, createDecipheriv, createHash, createHmac, createSign, createVerify, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type Fields = Record<string, string>;

/** v2 string to sign: sorted names, `sign` and empty values skipped, raw values, then `&key=`. */
function stringSignTemp(params: Readonly<Record<string, string | number | undefined>>, apiKey: string): string {
  let out = '';
  for (const name of Object.keys(params).sort()) {
    if (name === 'sign') continue;
    const value = params[name];
    if (value === undefined || value === '') continue;
    out += `${name}=${value}&`;
  }
  return `${out}key=${apiKey}`;
}

export function bareSignV2(
  params: Readonly<Record<string, string | number | undefined>>,
  apiKey: string,
  signType: 'MD5' | 'HMAC-SHA256',
): string {
  const text = stringSignTemp(params, apiKey);
  const hash = signType === 'MD5' ? createHash('md5') : createHmac('sha256', apiKey);
  return hash.update(text, 'utf8').digest('hex').toUpperCase();
}

function cdata(value: string): string {
  // `]]>` cannot appear inside one CDATA section: split it across two.
  return `<![CDATA[${value.includes(']]>') ? value.split(']]>').join(']]]]><![CDATA[>') : value}]]>`;
}

export function bareBuildXml(fields: Readonly<Record<string, string | number | undefined>>, root = 'xml'): string {
  let out = `<${root}>`;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (value === undefined) continue;
    out += typeof value === 'number' ? `<${name}>${value}</${name}>` : `<${name}>${cdata(value)}</${name}>`;
  }
  return `${out}</${root}>`;
}

/** unifiedorder request body: sign, then the XML. */
export function bareSignedRequestXml(
  params: Readonly<Record<string, string | number | undefined>>,
  apiKey: string,
  signType: 'MD5' | 'HMAC-SHA256',
): string {
  return bareBuildXml({ ...params, sign: bareSignV2(params, apiKey, signType) });
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/**
 * A minimal scanner for WeChat's flat dialect: optional declaration, one root, leaf elements holding CDATA or text.
 * Anything else (DOCTYPE, nesting, attributes, comments) makes it throw: the least a safe parser must do.
 */
export function bareParseFlatXml(input: string, root = 'xml'): Fields {
  const fields: Fields = Object.create(null) as Fields;
  let i = 0;
  if (input.startsWith('<?xml')) {
    const end = input.indexOf('?>');
    if (end < 0) throw new Error('bad declaration');
    i = end + 2;
  }
  const open = `<${root}>`;
  i = input.indexOf(open, i);
  if (i < 0 || input.slice(0, i).trim() !== '') throw new Error('bad root');
  i += open.length;
  const close = `</${root}>`;
  for (;;) {
    const lt = input.indexOf('<', i);
    if (lt < 0) throw new Error('unterminated');
    if (input.startsWith(close, lt)) {
      if (input.slice(lt + close.length).trim() !== '') throw new Error('trailing content');
      return fields;
    }
    const gt = input.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const name = input.slice(lt + 1, gt);
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw new Error('not a leaf element');
    const end = input.indexOf(`</${name}>`, gt + 1);
    if (end < 0) throw new Error('unclosed element');
    const raw = input.slice(gt + 1, end);
    let value: string;
    if (raw.startsWith('<![CDATA[')) {
      value = '';
      let j = 0;
      while (j < raw.length) {
        if (!raw.startsWith('<![CDATA[', j)) throw new Error('mixed content');
        const stop = raw.indexOf(']]>', j + 9);
        if (stop < 0) throw new Error('unterminated CDATA');
        value += raw.slice(j + 9, stop);
        j = stop + 3;
      }
    } else {
      if (raw.includes('<')) throw new Error('nested element');
      value = decodeText(raw);
    }
    if (name in fields) throw new Error('duplicate element');
    fields[name] = value;
    i = end + name.length + 3;
  }
}

/** Notification: scan, then verify (algorithm told by signature length, constant-time compare). */
export function bareParseVerifyNotification(xml: string, apiKey: string): Fields | undefined {
  const fields = bareParseFlatXml(xml);
  const sign = fields.sign;
  if (sign === undefined) return undefined;
  const type = sign.length === 64 ? 'HMAC-SHA256' : sign.length === 32 ? 'MD5' : undefined;
  if (type === undefined) return undefined;
  const expected = Buffer.from(bareSignV2(fields, apiKey, type));
  const given = Buffer.from(sign);
  return expected.length === given.length && timingSafeEqual(expected, given) ? fields : undefined;
}

export type PayParams = { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };

export function bareV2PayParams(
  appid: string, prepayId: string, apiKey: string, signType: 'MD5' | 'HMAC-SHA256', timeStamp: string, nonceStr: string,
): PayParams {
  const pkg = `prepay_id=${prepayId}`;
  const paySign = bareSignV2({ appId: appid, nonceStr, package: pkg, signType, timeStamp }, apiKey, signType);
  return { timeStamp, nonceStr, package: pkg, signType, paySign };
}

/** Refund req_info key: the 32 ASCII characters of lower-case hex md5(apiKey), computed once. */
export function bareRefundKey(apiKey: string): Buffer {
  return Buffer.from(createHash('md5').update(apiKey, 'utf8').digest('hex'), 'latin1');
}

export function bareDecryptReqInfo(reqInfo: string, key: Buffer): Fields {
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  const plain = Buffer.concat([decipher.update(Buffer.from(reqInfo, 'base64')), decipher.final()]).toString('utf8');
  return bareParseFlatXml(plain, 'root');
}

export function bareEncryptReqInfo(plain: string, key: Buffer): string {
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export function bareV3Authorization(
  privateKey: KeyObject, mchid: string, serial: string, method: string, url: string, body: string, timestamp: string, nonce: string,
): string {
  const signature = createSign('RSA-SHA256').update(`${method}\n${url}\n${timestamp}\n${nonce}\n${body}\n`).sign(privateKey, 'base64');
  return `WECHATPAY2-SHA256-RSA2048 mchid="${mchid}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="${serial}",signature="${signature}"`;
}

export type V3NotificationHeaders = { timestamp: string; nonce: string; serial: string; signature: string };

type V3Resource = { algorithm: string; ciphertext: string; associated_data?: string; nonce: string };

/** Verify with the key of the named serial, then AES-256-GCM decrypt the resource. */
export function bareV3Notification(
  headers: V3NotificationHeaders, body: string, keys: ReadonlyMap<string, KeyObject>, apiV3Key: Buffer,
): unknown {
  const key = keys.get(headers.serial);
  if (key === undefined) throw new Error('unknown serial');
  const ok = createVerify('RSA-SHA256').update(`${headers.timestamp}\n${headers.nonce}\n${body}\n`).verify(key, headers.signature, 'base64');
  if (!ok) throw new Error('bad signature');
  const resource = (JSON.parse(body) as { resource: V3Resource }).resource;
  if (resource.algorithm !== 'AEAD_AES_256_GCM') throw new Error('algorithm');
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(resource.nonce, 'latin1'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  return JSON.parse(plain);
}

export function bareV3PayParams(privateKey: KeyObject, appid: string, prepayId: string, timeStamp: string, nonceStr: string): PayParams {
  const pkg = `prepay_id=${prepayId}`;
  const paySign = createSign('RSA-SHA256').update(`${appid}\n${timeStamp}\n${nonceStr}\n${pkg}\n`).sign(privateKey, 'base64');
  return { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
}
