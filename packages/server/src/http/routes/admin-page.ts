/**
 * GET /admin: one self-contained page (no build step, no external resources) over the admin API. The token is typed
 * in and kept in sessionStorage (gone when the tab closes), sent as a bearer header, never put in a URL. Every value
 * from the API is inserted as text (textContent), never as HTML.
 */
export const ADMIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wxpay-kit admin</title>
<style>
:root{--fg:#1d2129;--muted:#6b7280;--line:#e5e7eb;--ok:#07c160;--warn:#d97706;--bad:#dc2626;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"PingFang SC",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:.75rem 1.5rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0 auto 0 0}main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem}
h2{font-size:1rem;margin:0 0 .75rem;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.8rem;text-transform:uppercase}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.click{cursor:pointer}tr.click:hover{background:#f0fdf4}
input,select,button{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:6px;background:#fff}
button{cursor:pointer;background:var(--ok);color:#fff;border-color:var(--ok)}button.plain{background:#fff;color:var(--fg);border-color:var(--line)}
.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.8rem;background:#eef2ff}
.matched{background:#dcfce7}.differences{background:#fef3c7}.failed{background:#fee2e2}
.muted{color:var(--muted)}#msg{min-height:1.5em;color:var(--bad)}pre{background:var(--bg);padding:.5rem;overflow:auto;max-height:16rem;font-size:.8rem}
</style></head>
<body>
<header><h1>wxpay-kit admin</h1>
<label>Admin token <input id="token" type="password" autocomplete="off" size="28"></label>
<button id="save">Use token</button><button id="forget" class="plain">Forget</button></header>
<main>
<div id="msg" role="status"></div>
<section><h2>Merchants</h2>
<table><thead><tr><th>Id</th><th>Name</th><th>Mini program</th><th>mchid</th><th>Sub-merchant</th><th>API</th></tr></thead><tbody id="merchants"></tbody></table></section>
<section><h2>Orders
<select id="merchant"><option value="">all merchants</option></select>
<select id="filter"><option value="flagged=true">flagged for review</option><option value="">all</option>
<option value="status=PAID">paid</option><option value="status=PAYING">paying</option><option value="status=CLOSED">closed</option>
<option value="status=REFUNDING">refunding</option><option value="status=REFUNDED">refunded</option></select>
<button id="reload" class="plain">Reload</button></h2>
<table><thead><tr><th>Order</th><th>Merchant</th><th>Status</th><th>Shipping</th><th class="num">Amount (¥)</th><th>Created</th><th>Paid</th><th>Review reason</th></tr></thead>
<tbody id="orders"></tbody></table><button id="more" class="plain" hidden>More</button></section>
<section id="detail" hidden><h2>Order <span id="detailId"></span><button id="closeDetail" class="plain">Close</button></h2>
<form id="shipForm"><b>Ship</b> <select id="shipType"><option value="express">express</option><option value="same_city">same-city</option><option value="pickup">pick-up</option><option value="virtual">virtual</option></select>
<input id="shipCompany" placeholder="carrier code (YTO, SF…)" size="16"> <input id="shipTracking" placeholder="tracking no" size="20"> <input id="shipContact" placeholder="SF: 189****1234" size="14">
<button id="ship" type="submit">Ship order</button> <span id="shipState" class="muted"></span></form><div id="detailBody"></div></section>
<section><h2>Bill reconciliation <input id="date" type="date"> <button id="run">Reconcile this day</button></h2>
<table><thead><tr><th>Bill date (China)</th><th>Status</th><th class="num">Payments</th><th class="num">Refunds</th><th class="num">Matched</th>
<th class="num">Applied</th><th class="num">Differences</th><th class="num">Paid (¥)</th><th>Finished</th><th>Runs</th></tr></thead>
<tbody id="runs"></tbody></table></section>
<section id="runDetail" hidden><h2>Differences of <span id="runDate"></span></h2>
<table><thead><tr><th>Kind</th><th>out_trade_no</th><th>Order</th><th class="num">Bill (¥)</th><th class="num">Ours (¥)</th><th>Resolution</th><th>Detail</th></tr></thead>
<tbody id="diffs"></tbody></table></section>
</main>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
const KEY = 'wxpay-kit-admin-token';
let cursor;
const yuan = (fen) => fen === undefined || fen === null ? '' : (fen < 0 ? '-' : '') + Math.floor(Math.abs(fen) / 100) + '.' + String(Math.abs(fen) % 100).padStart(2, '0');
const when = (iso) => iso ? new Date(iso).toLocaleString() : '';
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text === undefined ? '' : String(text); if (cls) td.className = cls; tr.append(td); return td; }
function tag(td, text) { td.textContent = ''; const s = document.createElement('span'); s.className = 'tag ' + text; s.textContent = text; td.append(s); }
function say(text) { $('msg').textContent = text || ''; }
async function api(method, path, body) {
  const token = sessionStorage.getItem(KEY);
  if (!token) { say('Enter the admin token (ADMIN_TOKEN) first.'); throw new Error('no token'); }
  const res = await fetch(path, { method, headers: Object.assign({ authorization: 'Bearer ' + token }, body ? { 'content-type': 'application/json' } : {}), body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) { const e = data.error || {}; say((e.code || res.status) + ': ' + (e.message || 'request failed')); throw new Error(String(res.status)); }
  say('');
  return data;
}
async function loadOrders(append) {
  if (!append) { cursor = undefined; $('orders').textContent = ''; }
  const params = new URLSearchParams($('filter').value); params.set('limit', '50'); if (cursor) params.set('cursor', cursor);
  if ($('merchant').value) params.set('merchantId', $('merchant').value);
  const data = await api('GET', '/admin/orders?' + params);
  for (const o of data.orders) {
    const tr = document.createElement('tr'); tr.className = 'click';
    cell(tr, o.orderId); cell(tr, o.merchantId); cell(tr, o.status); cell(tr, shippingText(o.shipping)); cell(tr, yuan(o.amount), 'num'); cell(tr, when(o.createdAt)); cell(tr, when(o.paidAt)); cell(tr, o.reviewReason);
    tr.addEventListener('click', () => showOrder(o.orderId).catch(() => {}));
    $('orders').append(tr);
  }
  if (data.orders.length === 0 && !append) { const tr = document.createElement('tr'); cell(tr, 'No orders.').colSpan = 8; $('orders').append(tr); }
  cursor = data.nextCursor; $('more').hidden = !cursor;
}
function block(title, value) { const h = document.createElement('h3'); h.textContent = title; const pre = document.createElement('pre'); pre.textContent = JSON.stringify(value, null, 2); $('detailBody').append(h, pre); }
async function showOrder(id) {
  const d = await api('GET', '/admin/orders/' + encodeURIComponent(id));
  $('detailId').textContent = id; $('detailBody').textContent = '';
  $('shipState').textContent = 'shipping: ' + shippingText(d.order.shipping); $('shipForm').hidden = d.order.status !== 'PAID';
  block('Order', d.order); block('Payment attempts', d.attempts); block('Refunds', d.refunds); block('Outbox events', d.events); block('Notifications (newest first)', d.notifications);
  $('detail').hidden = false; $('detail').scrollIntoView({ behavior: 'smooth' });
}
async function loadRuns() {
  const data = await api('GET', '/admin/reconciliations?limit=60');
  $('runs').textContent = '';
  for (const r of data.reconciliations) {
    const tr = document.createElement('tr'); tr.className = 'click';
    cell(tr, r.date); tag(cell(tr, ''), r.status); cell(tr, r.billPayments, 'num'); cell(tr, r.billRefunds, 'num'); cell(tr, r.matched, 'num');
    cell(tr, r.applied, 'num'); cell(tr, r.differenceCount, 'num'); cell(tr, yuan(r.billPaid), 'num'); cell(tr, when(r.finishedAt) + (r.error ? ' — ' + r.error : '')); cell(tr, r.runs);
    tr.addEventListener('click', () => showRun(r.date).catch(() => {}));
    $('runs').append(tr);
  }
  if (data.reconciliations.length === 0) { const tr = document.createElement('tr'); cell(tr, 'No reconciliation yet: they run daily after 10:00 China time, or pick a day above.').colSpan = 10; $('runs').append(tr); }
}
function showRunData(run) {
  $('runDate').textContent = run.date + ' (' + run.status + ')'; $('diffs').textContent = '';
  for (const d of run.differences) {
    const tr = document.createElement('tr');
    cell(tr, d.kind); cell(tr, d.outTradeNo); const oc = cell(tr, d.orderId || '');
    if (d.orderId) { oc.className = 'click'; oc.style.textDecoration = 'underline'; oc.addEventListener('click', () => showOrder(d.orderId).catch(() => {})); }
    cell(tr, yuan(d.billAmount), 'num'); cell(tr, yuan(d.ourAmount), 'num'); cell(tr, d.resolution); cell(tr, d.detail);
    $('diffs').append(tr);
  }
  if (run.differences.length === 0) { const tr = document.createElement('tr'); cell(tr, 'The bill and our records agree.').colSpan = 7; $('diffs').append(tr); }
  $('runDetail').hidden = false;
}
async function showRun(date) { showRunData((await api('GET', '/admin/reconciliations/' + date)).reconciliation); }
async function runNow() {
  const date = $('date').value; if (!date) { say('Pick a day.'); return; }
  $('run').disabled = true;
  try { const data = await api('POST', '/admin/reconciliations', { date }); showRunData(data.reconciliation); await loadRuns(); await loadOrders(false); }
  finally { $('run').disabled = false; }
}
function shippingText(s) { return s ? s.status + (s.upload && s.upload !== 'UPLOADED' ? ' (upload ' + s.upload + ')' : '') : ''; }
async function shipOrder() {
  const id = $('detailId').textContent; const type = $('shipType').value;
  const pkg = { expressCompany: $('shipCompany').value.trim(), trackingNo: $('shipTracking').value.trim() };
  if ($('shipContact').value.trim()) pkg.contact = $('shipContact').value.trim();
  const body = type === 'express' ? { logisticsType: type, packages: [pkg] } : { logisticsType: type };
  $('ship').disabled = true;
  try { await api('POST', '/admin/orders/' + encodeURIComponent(id) + '/shipments', body); await showOrder(id); await loadOrders(false); }
  finally { $('ship').disabled = false; }
}
async function loadMerchants() {
  const data = await api('GET', '/admin/merchants');
  $('merchants').textContent = ''; const chosen = $('merchant').value;
  $('merchant').textContent = ''; const all = document.createElement('option'); all.value = ''; all.textContent = 'all merchants'; $('merchant').append(all);
  for (const m of data.merchants) {
    const tr = document.createElement('tr');
    cell(tr, m.id); cell(tr, m.name); cell(tr, m.appid); cell(tr, m.mchid); cell(tr, m.subMchid); cell(tr, m.apiVersion + (m.payMode === 'partner' ? ' partner' : ''));
    $('merchants').append(tr);
    const opt = document.createElement('option'); opt.value = m.id; opt.textContent = m.id; $('merchant').append(opt);
  }
  $('merchant').value = chosen;
}
function refresh() { loadMerchants().then(() => loadOrders(false)).then(loadRuns).catch(() => {}); }
$('save').addEventListener('click', () => { const v = $('token').value.trim(); if (v) sessionStorage.setItem(KEY, v); $('token').value = ''; refresh(); });
$('forget').addEventListener('click', () => { sessionStorage.removeItem(KEY); $('orders').textContent = ''; $('runs').textContent = ''; $('detail').hidden = true; $('runDetail').hidden = true; say('Token forgotten.'); });
$('filter').addEventListener('change', () => loadOrders(false).catch(() => {}));
$('merchant').addEventListener('change', () => loadOrders(false).catch(() => {}));
$('reload').addEventListener('click', refresh);
$('more').addEventListener('click', () => loadOrders(true).catch(() => {}));
$('shipForm').addEventListener('submit', (e) => { e.preventDefault(); shipOrder().catch(() => {}); });
$('closeDetail').addEventListener('click', () => { $('detail').hidden = true; });
$('run').addEventListener('click', () => runNow().catch(() => {}));
$('date').value = new Date(Date.now() + 8 * 3600e3 - 864e5).toISOString().slice(0, 10);
if (sessionStorage.getItem(KEY)) refresh(); else say('Enter the admin token (ADMIN_TOKEN) to start.');
</script></body></html>`;

/** GET /admin while ADMIN_TOKEN is not set: how to turn the admin view on. No script, nothing from the server's state. */
export const ADMIN_OFF_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wxpay-kit admin is off</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem}</style>
</head><body>
<h1>The admin view is off</h1>
<p>This server was started without <code>ADMIN_TOKEN</code>, so the admin page and the <code>/admin/*</code> API are disabled.</p>
<p>To turn them on, set a long random token (at least 16 characters) and restart the server, for example:</p>
<pre>ADMIN_TOKEN=$(openssl rand -hex 24) npm start</pre>
<p>(or put <code>ADMIN_TOKEN=…</code> in <code>.env</code>). Then open <code>/admin</code> again and sign in with that token. Keep it secret: it can refund orders and change the catalogue.</p>
</body></html>
`;
