// The bare limit of our work on PostgreSQL: a minimal Node handler doing exactly what our server does for a valid v2
// payment notification on PostgreSQL, on a copy of our server's tables, with none of our structure (see
// same-work-server.mjs for SQLite). Per notification, as the server does: read the body, scan the flat XML, read the
// attempt by out_trade_no, verify the signature with the attempt's sign type, check the result, appid, mch_id,
// merchant and amount, then one data-modifying WITH statement (the text of packages/server/src/store/
// first-payment-postgres.ts: the attempt, the order, the outbox event, the notification event and the raw log row,
// atomic and durable on its own) and answer. node:http, pg with named (prepared) statements, a pool the size of the
// server's (DATABASE_POOL_MAX's default, 10). NOT a safe implementation: nothing but the benchmark's own notifications
// is expected (anything else is answered FAIL), no limits, no logging.
//
// Run as a child of bench/run.ts: env LIMIT_PG_URL, LIMIT_PG_SCHEMA (a copy of our server's tables), LIMIT_API_KEY,
// LIMIT_APPID, LIMIT_MCHID. Prints {"benchReady":true,"url":...} once listening on 127.0.0.1 (ephemeral port).
import http from 'node:http';
import pg from 'pg';
import { paidAt, scan, uuidV7, verified } from './wire.mjs';

const { LIMIT_PG_URL: url, LIMIT_PG_SCHEMA: schema, LIMIT_API_KEY: apiKey, LIMIT_APPID: appid, LIMIT_MCHID: mchid } = process.env;
const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c search_path="${schema}"` });

const ATTEMPT = 'select * from payment_attempts where out_trade_no = $1';
const FIRST_PAYMENT = `
  with attempt as (
    update payment_attempts set transaction_id = $1, status = 'PAID'
    where id = $2 and transaction_id is null
      and exists (select 1 from orders where id = $3 and status in ('CREATED', 'PAYING'))
      and not exists (select 1 from notification_events where event_key = $4)
    returning id
  ), paid as (
    update orders set status = 'PAID', updated_at = $5, paid_at = $6, paid_attempt_id = $2
    where id = $3 and status in ('CREATED', 'PAYING') and exists (select 1 from attempt)
    returning id
  ), outbox_row as (
    insert into outbox (id, topic, order_id, payload_json, created_at, available_at, attempts, lease_until, delivered_at, last_error)
    select $7::text, 'order.paid', $3::text, $8::text, $5::bigint, $5::bigint, 0, null, null, null
    from paid
    on conflict (topic, order_id) do nothing
  ), event_row as (
    insert into notification_events (event_key, kind, out_trade_no, outcome, created_at)
    select $4::text, 'payment', $9::text, 'paid', $5::bigint from paid
    on conflict (event_key) do nothing
  ), log_row as (
    insert into notification_log (id, kind, api_version, received_at, headers_json, raw_body, authentic, outcome, event_key, out_trade_no)
    select $10::text, 'payment', 'v2', $11::bigint, $12::text, $13::text, 1, 'paid', $4::text, $9::text
    from paid
  )
  select count(*)::integer as paid from paid`;

const SUCCESS = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
const FAIL = '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[FAIL]]></return_msg></xml>';
const answer = (res, body) => res.writeHead(200, { 'content-type': 'text/xml' }).end(body);

async function handle(raw, contentType, receivedAt) {
  const fields = scan(raw);
  if (fields === undefined || fields.return_code !== 'SUCCESS' || fields.result_code !== 'SUCCESS') return false;
  const attempt = (await pool.query({ name: 'attempt', text: ATTEMPT, values: [fields.out_trade_no] })).rows[0];
  if (attempt === undefined || !verified(fields, attempt.sign_type ?? 'MD5', apiKey)) return false;
  if (fields.appid !== appid || fields.mch_id !== mchid || attempt.merchant_id !== 'default' || Number(fields.total_fee) !== Number(attempt.amount_fen)) return false;
  const now = Date.now();
  const paid = paidAt(fields.time_end);
  const eventKey = `v2:pay:${fields.transaction_id}`;
  const payload = { orderId: attempt.order_id, outTradeNo: fields.out_trade_no, transactionId: fields.transaction_id, amountFen: Number(attempt.amount_fen), paidAt: paid };
  const result = await pool.query({
    name: 'first-payment',
    text: FIRST_PAYMENT,
    values: [
      fields.transaction_id, attempt.id, attempt.order_id, eventKey, now, paid, uuidV7(now), JSON.stringify(payload), fields.out_trade_no,
      uuidV7(now), receivedAt, JSON.stringify({ 'content-type': contentType }), raw,
    ],
  });
  return result.rows[0]?.paid === 1;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const receivedAt = Date.now();
    handle(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'] ?? '', receivedAt).then(
      (ok) => answer(res, ok ? SUCCESS : FAIL),
      () => answer(res, FAIL),
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ benchReady: true, url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => void pool.end().finally(() => process.exit(0))));
