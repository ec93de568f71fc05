// The seed tutorial's approach, as a comparator: a WeChat Pay v2 notification handler written the way a typical
// tutorial builds it — Koa, xml-js to turn the XML into an object, a hand-written MD5 sign helper, and one UPDATE on
// SQLite through better-sqlite3. Plain JavaScript, as such tutorials are. It is NOT safe (no size limit, no DOCTYPE
// refusal, no amount or appid check, MD5 assumed, non-constant-time compare, no audit row, no outbox); it exists so
// the report can show our throughput beside what a team following the tutorial would deploy.
//
// Run as a child of bench/run.ts: env SEED_DB (an existing SQLite file with an `orders` table), SEED_API_KEY, and
// SEED_SIGN_TYPE (MD5 or HMAC-SHA256: the one sign type the tutorial's helper is written for, the merchant's).
// Prints one JSON line {"benchReady":true,"url":"..."} once listening on 127.0.0.1 (ephemeral port).
import crypto from 'node:crypto';
import Koa from 'koa';
import convert from 'xml-js';
import Database from 'better-sqlite3';

const API_KEY = process.env.SEED_API_KEY;
const HMAC = process.env.SEED_SIGN_TYPE === 'HMAC-SHA256';
const db = new Database(process.env.SEED_DB);
// Same durability as the real server (WAL, synchronous FULL), so the comparison is about code, not fsync settings.
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');

function sign(params, key) {
  const str = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const hash = HMAC ? crypto.createHmac('sha256', key) : crypto.createHash('md5');
  return hash.update(`${str}&key=${key}`, 'utf8').digest('hex').toUpperCase();
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const SUCCESS = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
const FAIL = '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名失败]]></return_msg></xml>';

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== 'POST' || ctx.path !== '/wxpay/notify') {
    ctx.status = 404;
    return;
  }
  const xml = await readBody(ctx.req);
  const result = convert.xml2js(xml, { compact: true, cdataKey: 'value', textKey: 'value' });
  const params = {};
  for (const key of Object.keys(result.xml)) params[key] = result.xml[key].value;

  ctx.type = 'text/xml';
  if (params.return_code !== 'SUCCESS' || sign(params, API_KEY) !== params.sign) {
    ctx.body = FAIL;
    return;
  }
  db.prepare("UPDATE orders SET status = 'PAID', transaction_id = ? WHERE out_trade_no = ? AND status = 'NOTPAY'")
    .run(params.transaction_id, params.out_trade_no);
  ctx.body = SUCCESS;
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ benchReady: true, url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => { db.close(); process.exit(0); }));
