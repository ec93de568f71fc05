// The bare limit of our server's work: what a minimal Node handler reaches doing exactly the durable work our server
// does for a valid v2 payment notification, on our schema, with none of our structure. The load benchmark runs it on a
// copy of our server's database (same tables, indexes, rows and page layout), on the same core and storage, in the
// same alternated rounds as our server and the seed-style handler, so the report can tell a target our code misses
// from one no Node handler doing this work reaches on this machine.
//
// Per notification, as the server does: read the body; scan the flat XML; read the attempt by out_trade_no (the sign
// type is the attempt's); verify the signature (MD5 or HMAC-SHA256, constant-time compare); check return_code,
// result_code, appid, mch_id, the attempt's merchant and the amount; then in a shared transaction (group commit, as
// store/group-commit.ts: batches of concurrent notifications, synchronous=NORMAL inside, one fdatasync of the WAL off
// the event loop before anyone is answered): record the transaction on the attempt, move the order to PAID, add the
// outbox event, the notification event and the raw log row, with the SQL of packages/server/src/store/sqlite-hot.ts.
// Plain JavaScript, node:http, statements prepared once. NOT a safe implementation: no size limit, no DOCTYPE or
// duplicate-field refusal, no mismatch or error paths (an unexpected notification is answered FAIL, whatever it wrote),
// no logging, no schema validation; a redelivery is recorded (event and log row) without the server's checks.
//
// API v3 (LIMIT_API=v3), as the server does: the Wechatpay-* headers checked (timestamp within 5 minutes), the RSA
// SHA-256 signature over timestamp, nonce and the raw body verified with the WeChat Pay public key, the resource
// decrypted (AES-256-GCM with the APIv3 key) and parsed, trade_state, appid, mchid, merchant and amount checked, then
// the same writes (event key v3:pay:<transaction_id>, the Wechatpay-* headers in the log row), answered 204.
//
// Run as a child of bench/run.ts: env LIMIT_DB (a copy of our server's SQLite file), LIMIT_API_KEY, LIMIT_APPID,
// LIMIT_MCHID; for v3 also LIMIT_API=v3, LIMIT_APIV3_KEY, LIMIT_PLATFORM_PUBLIC_KEY (PEM), LIMIT_PLATFORM_SERIAL.
// Prints {"benchReady":true,"url":...} once listening on 127.0.0.1 (ephemeral port).
import { createDecipheriv, createPublicKey, verify } from 'node:crypto';
import { fdatasync, openSync } from 'node:fs';
import http from 'node:http';
import Database from 'better-sqlite3';
import { paidAt, scan, uuidV7, verified } from './wire.mjs';

const { LIMIT_DB: path, LIMIT_API_KEY: apiKey, LIMIT_APPID: appid, LIMIT_MCHID: mchid } = process.env;
const v3 = process.env.LIMIT_API === 'v3';
const apiV3Key = v3 ? Buffer.from(process.env.LIMIT_APIV3_KEY ?? '', 'utf8') : undefined;
const platformKey = v3 ? createPublicKey(process.env.LIMIT_PLATFORM_PUBLIC_KEY ?? '') : undefined;
const platformSerial = process.env.LIMIT_PLATFORM_SERIAL;
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
db.pragma('synchronous = FULL');

const statements = {
  attempt: db.prepare('select * from "payment_attempts" where "out_trade_no" = ?'),
  recordTransaction: db.prepare('update "payment_attempts" set "transaction_id" = ?, "status" = \'PAID\' where "id" = ? and "transaction_id" is null'),
  markPaid: db.prepare('update "orders" set "status" = ?, "updated_at" = ?, "paid_at" = ?, "paid_attempt_id" = ? where "id" = ? and "status" in (?, ?)'),
  outbox: db.prepare(
    'insert into "outbox" ("id", "topic", "order_id", "payload_json", "created_at", "available_at", "attempts", "lease_until", "delivered_at", "last_error") ' +
      'values (?, ?, ?, ?, ?, ?, 0, null, null, null) on conflict ("topic", "order_id") do nothing',
  ),
  event: db.prepare('insert into "notification_events" ("event_key", "kind", "out_trade_no", "outcome", "created_at") values (?, ?, ?, ?, ?) on conflict ("event_key") do nothing'),
  log: db.prepare(
    'insert into "notification_log" ("id", "kind", "api_version", "received_at", "headers_json", "raw_body", "authentic", "outcome", "event_key", "out_trade_no") ' +
      'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ),
  begin: db.prepare('begin immediate'),
  commit: db.prepare('commit'),
  rollback: db.prepare('rollback'),
  normal: db.prepare('pragma synchronous = NORMAL'),
  full: db.prepare('pragma synchronous = FULL'),
};

const SUCCESS = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
const FAIL = '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[FAIL]]></return_msg></xml>';
const answer = v3
  ? (res, body) => (body === SUCCESS ? res.writeHead(204).end() : res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"FAIL","message":"FAIL"}'))
  : (res, body) => res.writeHead(200, { 'content-type': 'text/xml' }).end(body);

/** A v2 notification's fields as the writes need them, with the attempt it names; undefined when it does not verify. */
function verifiedV2(raw) {
  const fields = scan(raw);
  if (fields === undefined || fields.return_code !== 'SUCCESS' || fields.result_code !== 'SUCCESS') return undefined;
  const attempt = statements.attempt.get(fields.out_trade_no);
  if (attempt === undefined || !verified(fields, attempt.sign_type ?? 'MD5', apiKey)) return undefined;
  if (fields.appid !== appid || fields.mch_id !== mchid || attempt.merchant_id !== 'default' || Number(fields.total_fee) !== attempt.amount_fen) return undefined;
  return { attempt, notice: { transactionId: fields.transaction_id, outTradeNo: fields.out_trade_no, paidAt: paidAt(fields.time_end) } };
}

const header = (headers, name) => (typeof headers[name] === 'string' ? headers[name] : '');

/** The same for v3: headers and signature, then the decrypted transaction. */
function verifiedV3(raw, headers) {
  const timestamp = header(headers, 'wechatpay-timestamp');
  const nonce = header(headers, 'wechatpay-nonce');
  const signature = header(headers, 'wechatpay-signature');
  if (header(headers, 'wechatpay-serial') !== platformSerial || !/^[0-9]{1,12}$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return undefined;
  if (!verify('sha256', Buffer.from(`${timestamp}\n${nonce}\n${raw}\n`, 'utf8'), platformKey, Buffer.from(signature, 'base64'))) return undefined;
  const envelope = JSON.parse(raw);
  const resource = envelope.resource;
  if (envelope.event_type !== 'TRANSACTION.SUCCESS' || resource?.algorithm !== 'AEAD_AES_256_GCM') return undefined;
  const sealed = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(resource.nonce, 'utf8'));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const tx = JSON.parse(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString('utf8'));
  if (tx.trade_state !== 'SUCCESS' || tx.appid !== appid || tx.mchid !== mchid) return undefined;
  const attempt = statements.attempt.get(tx.out_trade_no);
  if (attempt === undefined || attempt.merchant_id !== 'default' || tx.amount?.total !== attempt.amount_fen) return undefined;
  return { attempt, notice: { transactionId: tx.transaction_id, outTradeNo: tx.out_trade_no, paidAt: Date.parse(tx.success_time) } };
}

/** The headers the server keeps in the log row: WeChat's and the content type. */
function auditHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (name.startsWith('wechatpay-') || name === 'content-type') out[name] = String(value);
  return out;
}

let queue = [];
let draining = false;
let walFd;

/** The unit's writes; false when the notification was not what the benchmark sends (answered FAIL). */
function write(unit, now) {
  const { notice, attempt, raw, headers } = unit;
  const eventKey = `${v3 ? 'v3' : 'v2'}:pay:${notice.transactionId}`;
  const log = (outcome) => statements.log.run(uuidV7(now), 'payment', v3 ? 'v3' : 'v2', unit.receivedAt, JSON.stringify(headers), raw, 1, outcome, eventKey, notice.outTradeNo);
  if (statements.recordTransaction.run(notice.transactionId, attempt.id).changes !== 1) {
    // A redelivery (the warm-up sends each notification three times, as to our server): recorded, nothing applied.
    if (attempt.transaction_id !== null && attempt.transaction_id !== notice.transactionId) return false;
    statements.event.run(eventKey, 'payment', notice.outTradeNo, 'duplicate', now);
    log('redelivery:duplicate');
    return true;
  }
  if (statements.markPaid.run('PAID', now, notice.paidAt, attempt.id, attempt.order_id, 'CREATED', 'PAYING').changes !== 1) return false;
  const payload = { orderId: attempt.order_id, outTradeNo: notice.outTradeNo, transactionId: notice.transactionId, amountFen: attempt.amount_fen, paidAt: notice.paidAt };
  statements.outbox.run(uuidV7(now), 'order.paid', attempt.order_id, JSON.stringify(payload), now, now);
  if (statements.event.run(eventKey, 'payment', notice.outTradeNo, 'paid', now).changes !== 1) return false;
  log('paid');
  return true;
}

function drain() {
  const batch = queue.splice(0, 64);
  const now = Date.now();
  const ok = [];
  statements.normal.run();
  statements.begin.run();
  try {
    for (const unit of batch) ok.push(write(unit, now));
    statements.commit.run();
  } catch (error) {
    if (db.inTransaction) statements.rollback.run();
    throw error;
  } finally {
    statements.full.run();
  }
  const settle = () => {
    batch.forEach((unit, i) => answer(unit.res, ok[i] ? SUCCESS : FAIL));
    if (queue.length > 0) setImmediate(drain);
    else draining = false;
  };
  walFd ??= openSync(`${path}-wal`, 'r');
  fdatasync(walFd, (error) => {
    if (error !== null) throw error;
    settle();
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    const raw = Buffer.concat(chunks).toString('utf8');
    let found;
    try {
      found = v3 ? verifiedV3(raw, req.headers) : verifiedV2(raw);
    } catch {
      found = undefined;
    }
    if (found === undefined) return answer(res, FAIL);
    queue.push({ ...found, raw, headers: auditHeaders(req.headers), receivedAt, res });
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ benchReady: true, url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => { db.close(); process.exit(0); }));
