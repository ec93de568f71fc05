import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { parseXml, buildXml } from '../../src/v2/xml.js';
import { WxPayProtocolError, WxPayValidationError } from '../../src/errors.js';

function refused(input: string | Uint8Array, reason: RegExp, options?: Parameters<typeof parseXml>[1]): void {
  assert.throws(
    () => parseXml(input, options),
    (e: unknown) => e instanceof WxPayProtocolError && reason.test(e.message),
    `expected refusal matching ${reason}`,
  );
}

test('reads WeChat documents: declaration, CDATA, text, entities, whitespace between fields', () => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <return_code><![CDATA[SUCCESS]]></return_code>\n  <total_fee>0010</total_fee>
  <attach>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#20013;&#x6587;</attach><empty></empty><self/><mixed>x<![CDATA[<y>]]>z</mixed>
  <spaced> kept </spaced><body><![CDATA[测试]]></body></xml>\n`;
  assert.deepEqual(parseXml(doc), {
    return_code: 'SUCCESS',
    total_fee: '0010',
    attach: 'a <b> & "c" \'d\' 中文',
    empty: '',
    self: '',
    mixed: 'x<y>z',
    spaced: ' kept ',
    body: '测试',
  });
  assert.deepEqual(parseXml(Buffer.from(doc, 'utf8')), parseXml(doc));
  assert.deepEqual(parseXml('\uFEFF<xml><a>1</a></xml>'), { a: '1' });
  assert.deepEqual(parseXml('<xml/>'), {});
  assert.deepEqual(parseXml('<xml ></xml >'), {});
  assert.deepEqual(parseXml('<root><a>1</a></root>', { root: 'root' }), { a: '1' });
});

test('refuses everything outside the dialect, naming why', () => {
  const rows: [string, RegExp][] = [
    ['<!DOCTYPE xml><xml><a>1</a></xml>', /DOCTYPE/],
    ['<!ENTITY x "y"><xml/>', /entity declarations/],
    ['<xml><!-- c --><a>1</a></xml>', /comments/],
    ['<xml><a>1<!-- c --></a></xml>', /comments/],
    ['<!-- c --><xml/>', /comments/],
    ['<?xml-stylesheet href="x"?><xml/>', /processing instructions/],
    ['<xml><?pi x?><a>1</a></xml>', /processing instructions/],
    ['<xml><a>1</a></xml><?pi?>', /processing instructions/],
    ['<xml id="1"><a>1</a></xml>', /attributes/],
    ['<xml><a x="1">1</a></xml>', /attributes/],
    ['<xml><a><b>1</b></a></xml>', /nested/],
    ['<xml><a>1</a><a>2</a></xml>', /duplicate/],
    ['<xml><a>1</a></xml><xml/>', /second root/],
    ['<xml><a>1</a></xml>trailing', /after the root/],
    ['<xml>text<a>1</a></xml>', /text directly inside/],
    ['<xml><![CDATA[x]]></xml>', /CDATA outside/],
    ['<xml><a>&ent;</a></xml>', /entities other than/],
    ['<xml><a>&amp</a></xml>', /malformed entity/],
    ['<xml><a>&#0;</a></xml>', /character XML does not allow/],
    ['<xml><a>&#xZZ;</a></xml>', /malformed character reference/],
    ['<xml><a>]]></a></xml>', /']]>' in text/],
    ['<xml><a>1</b></xml>', /mismatched/],
    ['<xml><a>1</a>', /unterminated root/],
    ['<xml><a>1', /unterminated element/],
    ['<xml><a><![CDATA[1</a></xml>', /unterminated CDATA/],
    ['<other><a>1</a></other>', /root element must be <xml>/],
    ['', /empty document/],
    ['   ', /empty document/],
    ['hello', /content before the root/],
    ['<xml><a>\u0001</a></xml>', /character XML does not allow/],
    ['<xml><a>\uD800</a></xml>', /character XML does not allow/],
    ['<xml><ns:a>1</ns:a></xml>', /attributes|element name/],
    ['<xml><__proto__>1</__proto__></xml>', /reserved/],
    ['<xml><1a>1</1a></xml>', /markup|element name/],
    ['<?xml version="1.0" <x>?><xml/>', /XML declaration/],
    ['<?xml version="1.0"<xml/>', /unterminated XML declaration/],
  ];
  for (const [doc, reason] of rows) refused(doc, reason);
  refused(new Uint8Array([0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0xff, 0x3c, 0x2f, 0x78, 0x6d, 0x6c, 0x3e]), /UTF-8/);
});

test('prototype-looking names are ordinary fields', () => {
  const out = parseXml('<xml><constructor>1</constructor><toString>2</toString><hasOwnProperty>3</hasOwnProperty></xml>');
  assert.equal(out.constructor, '1');
  assert.equal(out.toString, '2');
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});

test('size limit in bytes, for strings and buffers', () => {
  const doc = `<xml><a>${'x'.repeat(100)}</a></xml>`;
  assert.deepEqual(parseXml(doc, { maxBytes: doc.length }), { a: 'x'.repeat(100) });
  refused(doc, /larger than/, { maxBytes: doc.length - 1 });
  refused(Buffer.from(doc), /larger than/, { maxBytes: doc.length - 1 });
  // 40 UTF-16 units but 120 UTF-8 bytes.
  const wide = `<xml><a>${'中'.repeat(40)}</a></xml>`;
  refused(wide, /larger than/, { maxBytes: 100 });
  refused('<xml>' + ' '.repeat(300 * 1024) + '</xml>', /larger than/);
});

test('XXE: a file entity is refused at the DOCTYPE and no file is opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xxe-'));
  const secretPath = join(dir, 'secret.txt');
  writeFileSync(secretPath, 'TOP-SECRET-CONTENT');
  const calls: string[] = [];
  const originals = { readFileSync: fs.readFileSync, openSync: fs.openSync, readFile: fs.readFile, open: fs.open };
  const record = <F extends (...args: never[]) => unknown>(name: string, f: F): F =>
    ((...args: never[]) => {
      calls.push(name);
      return f(...args);
    }) as F;
  fs.readFileSync = record('readFileSync', originals.readFileSync);
  fs.openSync = record('openSync', originals.openSync);
  fs.readFile = record('readFile', originals.readFile);
  fs.open = record('open', originals.open);
  try {
    const docs = [
      `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file://${secretPath}">]><xml><a>&xxe;</a></xml>`,
      `<!DOCTYPE xml SYSTEM "file://${secretPath}"><xml><a>1</a></xml>`,
      `<xml><a>&xxe;</a></xml>`,
    ];
    for (const doc of docs) {
      assert.throws(
        () => parseXml(doc),
        (e: unknown) => e instanceof WxPayProtocolError && !e.message.includes('TOP-SECRET') && !e.message.includes(secretPath),
      );
    }
  } finally {
    Object.assign(fs, originals);
    rmSync(dir, { recursive: true });
  }
  assert.deepEqual(calls, []);
});

test('billion laughs is refused at the DOCTYPE', () => {
  let dtd = '<!ENTITY lol0 "lol">';
  for (let i = 1; i < 10; i++) dtd += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  refused(`<?xml version="1.0"?><!DOCTYPE xml [${dtd}]><xml><a>&lol9;</a></xml>`, /DOCTYPE/);
});

test('build: CDATA for strings, text for integers, undefined skipped, ]]> split', () => {
  assert.equal(
    buildXml({ a: 'x', b: 1, c: undefined, d: 'p]]>q' }),
    '<xml><a><![CDATA[x]]></a><b>1</b><d><![CDATA[p]]]]><![CDATA[>q]]></d></xml>',
  );
  assert.deepEqual(parseXml(buildXml({ d: 'p]]>q', e: ']]>]]>' })), { d: 'p]]>q', e: ']]>]]>' });
  assert.equal(buildXml({ a: '1' }, { root: 'root' }), '<root><a><![CDATA[1]]></a></root>');
  assert.throws(() => buildXml({ 'bad name': 'x' }), WxPayValidationError);
  assert.throws(() => buildXml({ a: 1.5 }), WxPayValidationError);
  assert.throws(() => buildXml({ a: '\u0000' }), WxPayValidationError);
  // Lone surrogates and U+FFFE are refused too; a paired surrogate (an astral character) is carried.
  assert.throws(() => buildXml({ a: 'x\uD800y' }), WxPayValidationError);
  assert.throws(() => buildXml({ a: '\uDC00' }), WxPayValidationError);
  assert.throws(() => buildXml({ a: '\uFFFE' }), WxPayValidationError);
  assert.equal(buildXml({ a: '😀' }), '<xml><a><![CDATA[😀]]></a></xml>');
  // Names are checked every time, whatever was built before (checked names are remembered, refused ones never).
  for (let i = 0; i < 2; i++) {
    assert.throws(() => buildXml({ ok: 'x', '1bad': 'y' }), WxPayValidationError);
    assert.throws(() => buildXml(JSON.parse('{"__proto__": "x"}') as Record<string, string>), WxPayValidationError);
  }
});

// Characters XML can carry, including astral ones; lone surrogates and C0 controls excluded.
const xmlChar = fc.oneof(
  fc.constantFrom('<', '>', '&', '"', "'", ']', ']]>', '\t', '\n', ' ', '中', '😀', 'a', 'Z', '0'),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
);
const xmlValue = fc
  .array(xmlChar, { maxLength: 12 })
  .map((parts) => parts.join(''))
  .filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\r\uFFFE\uFFFF]/.test(s));
const fieldName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((n) => n !== '__proto__');
const fieldsArb = fc.dictionary(fieldName, xmlValue, { maxKeys: 12 });

test('property: build then parse is the identity', () => {
  fc.assert(
    fc.property(fieldsArb, (fields) => {
      assert.deepEqual(parseXml(buildXml(fields)), { ...fields });
    }),
  );
});

test('property: any DOCTYPE, nesting or comment anywhere is refused', () => {
  fc.assert(
    fc.property(
      fieldsArb.filter((f) => Object.keys(f).length > 0),
      fc.nat(),
      fc.constantFrom('<!DOCTYPE xml>', '<b>1</b>', '<!-- x -->', '<!ENTITY e "x">', '<?pi?>'),
      (fields, at, hostile) => {
        const names = Object.keys(fields);
        const target = names[at % names.length] ?? '';
        // Insert the hostile markup inside a field, between fields, or before the root.
        const doc = buildXml(fields);
        const variants = [doc.replace(`<${target}>`, `<${target}>${hostile}`), hostile + doc];
        // Between fields an element is just another field; everything else is still refused there.
        if (!hostile.startsWith('<b>')) variants.push(doc.replace(`<${target}>`, `${hostile}<${target}>`));
        else variants.push(doc.replace(`<${target}>`, `<wrap><${target}>`).replace(`</${target}>`, `</${target}></wrap>`));
        for (const v of variants) assert.throws(() => parseXml(v), WxPayProtocolError);
      },
    ),
  );
});

function encodeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

test('differential: same fields as fast-xml-parser on valid documents', () => {
  const reference = new XMLParser({
    ignoreAttributes: true,
    trimValues: false,
    parseTagValue: false,
    ignoreDeclaration: true,
    processEntities: true,
  });
  const rendering = fc.constantFrom('cdata', 'text', 'split');
  fc.assert(
    fc.property(fieldsArb, fc.array(rendering, { minLength: 12, maxLength: 12 }), fc.boolean(), (fields, styles, decl) => {
      const parts: string[] = [decl ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '', '<xml>\n'];
      Object.entries(fields).forEach(([name, value], i) => {
        const style = styles[i] ?? 'text';
        let body: string;
        if (style === 'cdata') body = `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
        else if (style === 'text') body = encodeText(value);
        else {
          const [first = '', ...rest] = Array.from(value); // split on a code point, never inside a surrogate pair
          body = `${encodeText(first)}<![CDATA[${rest.join('').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
        }
        parts.push(`  <${name}>${body}</${name}>\n`);
      });
      parts.push('</xml>');
      const doc = parts.join('');
      const theirs = reference.parse(doc) as { xml?: Record<string, unknown> | string };
      const ours = parseXml(doc);
      const expected: Record<string, string> = {};
      if (theirs.xml && typeof theirs.xml === 'object') {
        for (const [k, v] of Object.entries(theirs.xml)) expected[k] = v === '' || v === undefined ? '' : String(v);
      }
      // fast-xml-parser drops whitespace-only values and the whitespace between fields; compare what both carry.
      for (const [k, v] of Object.entries(ours)) {
        if (v.trim() === '') continue;
        assert.equal(expected[k], v, `field ${k}`);
      }
      assert.deepEqual(ours, { ...fields });
    }),
  );
});

test('closing tags: compared exactly, whitespace before > allowed, prefixes and extensions refused', () => {
  assert.deepEqual(parseXml('<xml><a >1</a ><bc>2</bc\n></xml >'), { a: '1', bc: '2' });
  for (const bad of ['<xml><a>1</ab></xml>', '<xml><ab>1</a></xml>', '<xml><a>1</a.></xml>', '<xml><a>1</a', '<xml><a>1</a x></xml>', '<xml><a>1</a></xmlx>', '<xml><a>1</a></xm>']) {
    assert.throws(() => parseXml(bad), WxPayProtocolError, bad);
  }
});
