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

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; // A-Z a-z _
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46; // 0-9 - .
}

/**
 * A minimal scanner for WeChat's flat dialect: optional declaration, one root, leaf elements holding CDATA or text.
 * Anything else (DOCTYPE, nesting, attributes, comments) makes it throw: the least a safe parser must do. One pass
 * over character codes, no regular expressions, no per-element string building.
 */
export function bareParseFlatXml(input: string, root = 'xml'): Fields {
  // A plain object keeps V8's fast properties (a null-prototype one starts in dictionary mode); __proto__ is refused.
  const fields: Fields = {};
  let i = 0;
  if (input.startsWith('<?xml')) {
    const end = input.indexOf('?>');
    if (end < 0) throw new Error('bad declaration');
    i = end + 2;
  }
  while (i < input.length && input.charCodeAt(i) <= 32) i++;
  if (!input.startsWith(`<${root}>`, i)) throw new Error('bad root');
  i += root.length + 2;
  for (;;) {
    while (i < input.length && input.charCodeAt(i) <= 32) i++;
    if (input.charCodeAt(i) !== 60) throw new Error('unterminated'); // <
    if (input.charCodeAt(i + 1) === 47) { // </root>
      if (!input.startsWith(root, i + 2) || input.charCodeAt(i + 2 + root.length) !== 62) throw new Error('bad close');
      i += root.length + 3;
      while (i < input.length && input.charCodeAt(i) <= 32) i++;
      if (i !== input.length) throw new Error('trailing content');
      return fields;
    }
    const nameStart = i + 1;
    let j = nameStart;
    if (!isNameStart(input.charCodeAt(j))) throw new Error('not a leaf element');
    while (isNameChar(input.charCodeAt(j))) j++;
    if (input.charCodeAt(j) !== 62) throw new Error('attribute or bad tag'); // >
    const name = input.slice(nameStart, j);
    let k = j + 1;
    let value: string;
    if (input.startsWith('<![CDATA[', k)) {
      value = '';
      while (input.startsWith('<![CDATA[', k)) {
        const stop = input.indexOf(']]>', k + 9);
        if (stop < 0) throw new Error('unterminated CDATA');
        value += input.slice(k + 9, stop);
        k = stop + 3;
      }
    } else {
      const lt = input.indexOf('<', k);
      if (lt < 0) throw new Error('unterminated');
      value = decodeText(input.slice(k, lt));
      k = lt;
    }
    // The close tag must follow at once: </name>
    if (input.charCodeAt(k) !== 60 || input.charCodeAt(k + 1) !== 47 || !input.startsWith(name, k + 2)
      || input.charCodeAt(k + 2 + name.length) !== 62) {
      throw new Error('nested, mixed or unclosed element');
    }
    if (name === '__proto__' || Object.hasOwn(fields, name)) throw new Error('duplicate or reserved element');
    fields[name] = value;
    i = k + name.length + 3;
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
