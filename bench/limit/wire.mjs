// What both bare limits (same-work-server.mjs, same-work-postgres.mjs) share: the server's row ids, a minimal flat-XML
// scan, the v2 signature check and time_end. Plain JavaScript, minimal on purpose (see those files).
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

// The server's row ids: UUID v7 (time first, so inserts append to each index's last page).
export function uuidV7(now) {
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`;
}

/** `<xml><name><![CDATA[value]]></name>…</xml>` or plain text values; undefined for anything else. */
export function scan(xml) {
  const fields = {};
  let i = xml.indexOf('<xml>');
  if (i < 0) return undefined;
  i += 5;
  for (;;) {
    while (i < xml.length && xml.charCodeAt(i) <= 32) i++;
    if (xml.startsWith('</xml>', i)) return fields;
    if (xml[i] !== '<') return undefined;
    const nameEnd = xml.indexOf('>', i);
    if (nameEnd < 0) return undefined;
    const name = xml.slice(i + 1, nameEnd);
    i = nameEnd + 1;
    let value;
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0) return undefined;
      value = xml.slice(i + 9, end);
      i = end + 3;
    } else {
      const end = xml.indexOf('<', i);
      if (end < 0) return undefined;
      value = xml.slice(i, end);
      i = end;
    }
    const close = `</${name}>`;
    if (!xml.startsWith(close, i)) return undefined;
    i += close.length;
    fields[name] = value;
  }
}

/** The v2 signature of `fields` with the API key, compared in constant time. */
export function verified(fields, signType, apiKey) {
  const text = `${Object.keys(fields).filter((k) => k !== 'sign' && fields[k] !== '').sort().map((k) => `${k}=${fields[k]}`).join('&')}&key=${apiKey}`;
  const hash = signType === 'HMAC-SHA256' ? createHmac('sha256', apiKey) : createHash('md5');
  const expected = Buffer.from(hash.update(text, 'utf8').digest('hex').toUpperCase());
  const given = Buffer.from(fields.sign ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** time_end, yyyyMMddHHmmss in China time, as epoch milliseconds. */
export function paidAt(timeEnd) {
  const n = (from, to) => Number(timeEnd.slice(from, to));
  return Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)) - 8 * 3_600_000;
}
