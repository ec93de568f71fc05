/**
 * The catalogue over GET/POST/PATCH /admin/products: prices are typed in yuan and sent as integer fen (parseYuan, the
 * command line's rule), products are deactivated, never deleted (orders name them).
 */
import { formatFen, parseYuan } from '../../src/domain/yuan.js';
import { api } from './api.js';
import type { ProductResult, Products, Product } from './api.js';
import { h, on } from './dom.js';
import { confirmDialog, report, say } from './ui.js';

function price(text: string): number | undefined {
  const fen = parseYuan(text);
  return fen === undefined || fen <= 0 ? undefined : fen;
}

export async function showCatalogue(view: HTMLElement): Promise<void> {
  const list = await api<Products>('GET', '/admin/products');
  const sku = h('input', { 'data-testid': 'product-sku', placeholder: 'sku (letters, digits, _ . -)', required: true, maxlength: 64, pattern: '[A-Za-z0-9_.\\-]+' });
  const name = h('input', { 'data-testid': 'product-name', placeholder: 'name', required: true, maxlength: 120 });
  const yuan = h('input', { 'data-testid': 'product-price', placeholder: 'price in yuan, e.g. 12.50', required: true, inputmode: 'decimal', size: 14 });
  const add = h('button', { type: 'submit', 'data-testid': 'product-add' }, 'Add product');
  const form = h('form', { class: 'filters' }, sku, name, yuan, add);
  on(form, 'submit', async (event) => {
    event.preventDefault();
    const fen = price(yuan.value);
    if (fen === undefined) return say(`price: "${yuan.value}" is not an amount in yuan greater than 0 with at most two decimals (e.g. 12.50)`);
    try {
      const r = await api<ProductResult>('POST', '/admin/products', { sku: sku.value.trim(), name: name.value.trim(), price: fen });
      say(`Added ${r.product.sku} at ¥${formatFen(r.product.price)}`, 'ok');
      await showCatalogue(view);
    } catch (error) {
      report(error);
    }
  });
  const rows = list.products.map((p) => productRow(p, () => showCatalogue(view)));
  view.replaceChildren(
    h('section', { class: 'card', 'data-testid': 'catalogue' },
      h('h2', {}, 'Catalogue'),
      h('p', { class: 'muted small' }, 'Orders keep the name and price they were made with. A product is never deleted: deactivate it to take it off sale.'),
      form,
      h('table', {}, h('thead', {}, h('tr', {}, ...['sku', 'Name', 'Price', 'On sale', ''].map((t) => h('th', {}, t)))), h('tbody', { 'data-testid': 'product-rows' }, ...rows)),
    ),
  );
  view.dataset.ready = 'catalogue';
}

function productRow(p: Product, reload: () => Promise<void>): HTMLTableRowElement {
  const edit = h('button', { type: 'button', class: 'plain', 'data-testid': 'product-edit' }, 'Edit…');
  const toggle = h('button', { type: 'button', class: 'plain', 'data-testid': 'product-toggle' }, p.active ? 'Deactivate' : 'Put on sale');
  on(edit, 'click', async () => {
    const values = await confirmDialog(`Edit ${p.sku}`, 'Existing orders keep their own names and prices.', [
      { name: 'name', label: 'Name', testid: 'dialog-name', value: p.name, required: true },
      { name: 'price', label: 'Price (yuan)', testid: 'dialog-price', value: formatFen(p.price), required: true, inputmode: 'decimal' },
    ], 'Save');
    if (values === undefined) return;
    const fen = price(values.price ?? '');
    if (fen === undefined) return say(`price: "${values.price ?? ''}" is not an amount in yuan greater than 0 with at most two decimals`);
    try {
      await api<ProductResult>('PATCH', `/admin/products/${encodeURIComponent(p.sku)}`, { name: values.name, price: fen });
      say(`Saved ${p.sku}`, 'ok');
      await reload();
    } catch (error) {
      report(error);
    }
  });
  on(toggle, 'click', async () => {
    try {
      await api<ProductResult>('PATCH', `/admin/products/${encodeURIComponent(p.sku)}`, { active: !p.active });
      say(`${p.sku} is ${p.active ? 'off sale' : 'on sale'}`, 'ok');
      await reload();
    } catch (error) {
      report(error);
    }
  });
  return h(
    'tr',
    { 'data-testid': 'product-row', 'data-sku': p.sku, 'data-active': String(p.active) },
    h('td', { class: 'mono' }, p.sku),
    h('td', {}, p.name),
    h('td', { class: 'num' }, `¥${formatFen(p.price)}`),
    h('td', {}, p.active ? 'yes' : 'no'),
    h('td', {}, edit, ' ', toggle),
  );
}
