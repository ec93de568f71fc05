import { WxPayProtocolError, WxPayValidationError } from '../errors.js';

/**
 * A strict codec for WeChat Pay v2's XML dialect, and nothing more: an optional `<?xml …?>` declaration, one root
 * (`<xml>`, or `<root>` for a refund's req_info), and flat leaf children holding text and/or CDATA.
 *
 * Understood in text: the five predefined entities and numeric character references (`&#38;`, `&#x26;`) of
 * characters XML allows. Numeric references are accepted because they are plain XML any producer may emit, and each
 * one decodes to exactly one character: there is nothing to expand, fetch or recurse into.
 *
 * Refused, with a WxPayProtocolError, at the point the scanner meets them (so an XXE or billion-laughs document is
 * turned away at its DOCTYPE, before any value is read): a DOCTYPE or any other `<!` declaration, any other entity,
 * processing instructions other than the leading declaration, comments, attributes, nested elements, text or CDATA
 * directly inside the root, duplicate elements, a second root, control characters, invalid UTF-8, and documents over
 * the size limit. Values stay strings exactly as sent (no trimming, no number coercion, line ends untouched, so a
 * signature computed over them matches the sender's).
 *
 * The scanner walks the input once with indexOf/charCodeAt and slices; no backtracking regular expressions and no
 * per-character string building.
 */

export type ParseXmlOptions = {
  /** Largest accepted document in UTF-8 bytes (default 256 KiB: WeChat's v2 documents are a few KiB). */
  maxBytes?: number;
  /** Root element name (default `xml`; `root` for a refund notification's decrypted req_info). */
  root?: string;
};

export type BuildXmlOptions = { root?: string };

export const DEFAULT_XML_MAX_BYTES = 256 * 1024;

// Characters XML 1.0 cannot carry (C0 controls except tab/LF/CR, U+FFFE/U+FFFF) and lone surrogates, checked in two
// parts because this runs on every document and every built field: a code-unit class (no /u, so no code-point
// iteration) and String.prototype.isWellFormed for lone surrogates (native; ES2024, Node ≥ 20).
const FORBIDDEN_UNIT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();
// Element names as WeChat uses them (ASCII, no namespaces). `__proto__` is refused separately.
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// What may appear between `<?xml` and `?>`: pseudo-attributes such as version="1.0" encoding="UTF-8".
const DECLARATION_BODY = /^[\sA-Za-z0-9.="'_-]*$/;

const decoder = new TextDecoder('utf-8', { fatal: true });

function refuse(reason: string, offset?: number): never {
  throw new WxPayProtocolError(offset === undefined ? `XML refused: ${reason}` : `XML refused: ${reason} (at offset ${offset})`);
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d;
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Parse one WeChat v2 document into its fields. Throws WxPayProtocolError for anything outside the dialect. */
export function parseXml(input: string | Uint8Array, options: ParseXmlOptions = {}): Record<string, string> {
  const maxBytes = options.maxBytes ?? DEFAULT_XML_MAX_BYTES;
  const root = options.root ?? 'xml';
  let text: string;
  if (typeof input === 'string') {
    // A UTF-16 length above the limit is already too many bytes; only measure when it could matter.
    if (input.length > maxBytes || (input.length * 3 > maxBytes && Buffer.byteLength(input, 'utf8') > maxBytes)) {
      refuse(`document larger than ${maxBytes} bytes`);
    }
    text = input;
  } else {
    if (input.byteLength > maxBytes) refuse(`document larger than ${maxBytes} bytes`);
    try {
      text = decoder.decode(input);
    } catch {
      refuse('not valid UTF-8');
    }
  }
  if (FORBIDDEN_UNIT.test(text) || !isWellFormed(text)) refuse('a character XML does not allow');
  return scanDocument(text, root);
}

function classifyMarkup(s: string, i: number): never {
  // `s[i]` is '<'. Name what was found so the developer sees why, then refuse it.
  if (s.startsWith('<!DOCTYPE', i)) refuse('DOCTYPE is not allowed', i);
  if (s.startsWith('<!ENTITY', i)) refuse('entity declarations are not allowed', i);
  if (s.startsWith('<!--', i)) refuse('comments are not allowed', i);
  if (s.startsWith('<![CDATA[', i)) refuse('CDATA outside a field', i);
  if (s.startsWith('<!', i)) refuse('markup declarations are not allowed', i);
  if (s.startsWith('<?', i)) refuse('processing instructions are not allowed', i);
  if (s.startsWith('</', i)) refuse('unexpected closing tag', i);
  refuse('unexpected markup', i);
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

function readName(s: string, i: number): number {
  if (!isNameStart(s.charCodeAt(i))) refuse('malformed or unsupported element name', i);
  let j = i + 1;
  while (j < s.length && isNameChar(s.charCodeAt(j))) j++;
  return j;
}

function scanDocument(s: string, root: string): Record<string, string> {
  const n = s.length;
  let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (s.startsWith('<?xml', i) && isWs(s.charCodeAt(i + 5))) {
    const end = s.indexOf('?>', i + 5);
    if (end < 0) refuse('unterminated XML declaration', i);
    if (end - i > 200 || !DECLARATION_BODY.test(s.slice(i + 5, end))) refuse('unexpected XML declaration', i);
    i = end + 2;
  }
  i = skipWs(s, i);
  if (i >= n) refuse('empty document');
  if (s.charCodeAt(i) !== 0x3c || !isNameStart(s.charCodeAt(i + 1))) {
    if (s.charCodeAt(i) === 0x3c) classifyMarkup(s, i);
    refuse('content before the root element', i);
  }
  let end = readName(s, i + 1);
  if (s.slice(i + 1, end) !== root) refuse(`root element must be <${root}>`, i);
  i = skipWs(s, end);
  const out: Record<string, string> = {};
  if (s.startsWith('/>', i)) return finish(s, i + 2, out);
  if (s.charCodeAt(i) !== 0x3e) refuse('attributes are not allowed', i);
  i++;

  for (;;) {
    if (s.charCodeAt(i) !== 0x3c) i = skipWs(s, i);
    if (i >= n) refuse('unterminated root element', i);
    if (s.charCodeAt(i) !== 0x3c) refuse('text directly inside the root element', i);
    const c1 = s.charCodeAt(i + 1);
    if (c1 === 0x2f) {
      // </root>
      end = readName(s, i + 2);
      if (end - i - 2 !== root.length || !s.startsWith(root, i + 2)) refuse('mismatched closing tag', i);
      end = skipWs(s, end);
      if (s.charCodeAt(end) !== 0x3e) refuse('malformed closing tag', end);
      return finish(s, end + 1, out);
    }
    if (!isNameStart(c1)) classifyMarkup(s, i);
    const nameEnd = readName(s, i + 1);
    const name = s.slice(i + 1, nameEnd);
    if (name === '__proto__') refuse('reserved element name', i);
    if (Object.hasOwn(out, name)) refuse(`duplicate element <${name}>`, i);
    i = s.charCodeAt(nameEnd) === 0x3e ? nameEnd : skipWs(s, nameEnd);
    if (s.startsWith('/>', i)) {
      out[name] = '';
      i += 2;
      continue;
    }
    if (s.charCodeAt(i) !== 0x3e) refuse('attributes are not allowed', i);
    i++;
    // Field content: text and CDATA sections until </name>.
    let value = '';
    let pieces: string[] | undefined;
    for (;;) {
      const lt = s.indexOf('<', i);
      if (lt < 0) refuse(`unterminated element <${name}>`, i);
      if (lt > i) {
        const piece = decodeText(s, i, lt);
        if (pieces) pieces.push(piece);
        else if (value === '') value = piece;
        else pieces = [value, piece];
      }
      if (s.startsWith('</', lt)) {
        // Compared in place (no slice, no second name scan): the same characters, then no further name character.
        const closeEnd = lt + 2 + name.length;
        if (!s.startsWith(name, lt + 2) || isNameChar(s.charCodeAt(closeEnd))) refuse('nested or mismatched element', lt);
        const gt = s.charCodeAt(closeEnd) === 0x3e ? closeEnd : skipWs(s, closeEnd);
        if (s.charCodeAt(gt) !== 0x3e) refuse('malformed closing tag', gt);
        i = gt + 1;
        break;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const cdataEnd = s.indexOf(']]>', lt + 9);
        if (cdataEnd < 0) refuse('unterminated CDATA section', lt);
        const piece = s.slice(lt + 9, cdataEnd);
        if (pieces) pieces.push(piece);
        else if (value === '') value = piece;
        else pieces = [value, piece];
        i = cdataEnd + 3;
        continue;
      }
      if (isNameStart(s.charCodeAt(lt + 1))) refuse('nested elements are not allowed', lt);
      classifyMarkup(s, lt);
    }
    out[name] = pieces ? pieces.join('') : value;
  }
}

function finish(s: string, i: number, out: Record<string, string>): Record<string, string> {
  i = skipWs(s, i);
  if (i < s.length) {
    if (s.charCodeAt(i) === 0x3c && isNameStart(s.charCodeAt(i + 1))) refuse('a second root element', i);
    if (s.charCodeAt(i) === 0x3c) classifyMarkup(s, i);
    refuse('content after the root element', i);
  }
  return out;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Text between `start` and `end` (no '<' inside): decode references, refuse anything else. */
function decodeText(s: string, start: number, end: number): string {
  // Work on the slice so every search stays inside this piece of text (linear overall).
  const raw = s.slice(start, end);
  const bracket = raw.indexOf(']]>');
  if (bracket >= 0) refuse("']]>' in text", start + bracket);
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  const parts: string[] = [];
  let from = 0;
  while (amp >= 0) {
    parts.push(raw.slice(from, amp));
    // Longest legal reference is `&#x10FFFF;` (10 chars), so look no further than that.
    const semi = raw.slice(amp + 1, amp + 10).indexOf(';') + amp + 1;
    if (semi <= amp) refuse('malformed entity reference', start + amp);
    const ref = raw.slice(amp + 1, semi);
    if (ref.charCodeAt(0) === 0x23) {
      const hex = ref.charCodeAt(1) === 0x78;
      const digits = ref.slice(hex ? 2 : 1);
      if (digits === '' || !(hex ? /^[0-9A-Fa-f]+$/ : /^[0-9]+$/).test(digits)) {
        refuse('malformed character reference', start + amp);
      }
      const cp = Number.parseInt(digits, hex ? 16 : 10);
      if (!isXmlChar(cp)) refuse('character reference to a character XML does not allow', start + amp);
      parts.push(String.fromCodePoint(cp));
    } else {
      const ch = Object.hasOwn(PREDEFINED, ref) ? PREDEFINED[ref] : undefined;
      if (ch === undefined) refuse('entities other than the five predefined ones are not allowed', start + amp);
      parts.push(ch);
    }
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  parts.push(raw.slice(from));
  return parts.join('');
}

/**
 * Write a flat document: strings in CDATA (with `]]>` split across two sections), numbers as plain text, undefined
 * skipped. Names and values XML cannot carry are refused rather than silently altered.
 */
export function buildXml(
  fields: Readonly<Record<string, string | number | undefined>>,
  options: BuildXmlOptions = {},
): string {
  const root = options.root ?? 'xml';
  if (!validName(root)) throw new WxPayValidationError('root', 'not a valid element name');
  let out = `<${root}>`;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    if (value === undefined) continue;
    if (!validName(name)) throw new WxPayValidationError(name, 'not a valid element name');
    if (typeof value === 'number') {
      // Every numeric field in v2 is an integer (fen, counts); a fraction here is a bug upstream.
      if (!Number.isSafeInteger(value)) throw new WxPayValidationError(name, 'numbers must be safe integers');
      out += `<${name}>${value}</${name}>`;
    } else {
      if (FORBIDDEN_UNIT.test(value) || !isWellFormed(value)) throw new WxPayValidationError(name, 'contains a character XML cannot carry');
      out += `<${name}><![CDATA[${value.includes(']]>') ? value.replaceAll(']]>', ']]]]><![CDATA[>') : value}]]></${name}>`;
    }
  }
  return `${out}</${root}>`;
}

/**
 * Element names already checked (a request uses the same few dozen): a set lookup instead of a regexp per field.
 * Bounded, so names from untrusted input cannot grow it without limit; past the bound every name is checked anew.
 */
const checkedNames = new Set<string>();
const CHECKED_NAMES_MAX = 512;
function validName(name: string): boolean {
  if (checkedNames.has(name)) return true;
  if (!NAME.test(name) || name === '__proto__') return false;
  if (checkedNames.size < CHECKED_NAMES_MAX) checkedNames.add(name);
  return true;
}
