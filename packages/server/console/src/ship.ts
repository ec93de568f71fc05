/**
 * Shipping in the console: the shipment form for a PAID order and how a shipment reads in a list cell. The form checks
 * with the server's own schema (schemas/shipping.ts, bundled: one rule, two places it runs); the server stays the
 * authority and its 400/409 message is what the person sees when it refuses.
 */
import type { z } from 'zod';
import { LOGISTICS_TYPES } from '../../src/domain/fulfilment.js';
import { shipmentBody } from '../../src/http/schemas/shipping.js';
import type { OrderSummary } from './api.js';
import { h, on } from './dom.js';

export type ShipmentBody = z.infer<typeof shipmentBody>;
type Shipping = NonNullable<OrderSummary['shipping']>;

const MAX_PACKAGES = 15;
const LABELS: Record<(typeof LOGISTICS_TYPES)[number], string> = { express: 'Express (carrier + tracking no.)', same_city: 'Same-city delivery', virtual: 'Virtual goods', pickup: 'Pick-up by the buyer' };

/** "SHIPPED · upload FAILED (10060001)": the status, and the upload only when it is not simply done. */
export function shippingText(s: Shipping | undefined): string {
  if (s === undefined) return '';
  if (s.upload === undefined || s.upload === 'UPLOADED') return s.status;
  return `${s.status} · upload ${s.upload}${s.uploadError === undefined ? '' : ` (${s.uploadError})`}`;
}

export function shippingTone(s: Shipping | undefined): string {
  if (s?.upload === 'FAILED') return 'bad';
  return s?.upload === 'PENDING' ? 'muted' : '';
}

/** The form as a modal dialog: resolves with a body the schema accepts, or undefined when cancelled. */
export function shipDialog(orderId: string, description: string): Promise<ShipmentBody | undefined> {
  return new Promise((resolve) => {
    const type = h('select', { name: 'logisticsType', 'data-testid': 'ship-type' }, ...LOGISTICS_TYPES.map((t) => h('option', { value: t }, LABELS[t])));
    const list = h('div', { class: 'packages', 'data-testid': 'ship-packages' });
    const add = h('button', { type: 'button', class: 'plain', 'data-testid': 'ship-add-package' }, 'Add package');
    const allDelivered = h('input', { type: 'checkbox', 'data-testid': 'ship-all-delivered', checked: true });
    const allDeliveredLabel = h('label', { class: 'inline' }, allDelivered, 'these packages complete the order');
    const problem = h('p', { class: 'bad', 'data-testid': 'ship-problem', role: 'alert' });
    const confirm = h('button', { type: 'submit', 'data-testid': 'dialog-confirm' }, 'Ship');
    const cancel = h('button', { type: 'button', class: 'plain', 'data-testid': 'dialog-cancel' }, 'Cancel');
    const express = h('fieldset', {}, h('legend', {}, 'Packages (1 to 15, one per parcel)'), list, add, allDeliveredLabel);
    const form = h(
      'form',
      { method: 'dialog', novalidate: true },
      h('h3', {}, `Ship order ${orderId}`),
      h('p', {}, 'The shipment is recorded at once and uploaded to WeChat (发货信息录入); the buyer is told to expect it. WeChat allows one re-shipment, so check the tracking numbers.'),
      h('label', {}, 'Logistics', type),
      express,
      problem,
      h('div', { class: 'row' }, confirm, cancel),
    );
    const dialog = h('dialog', { 'data-testid': 'dialog', class: 'wide' }, form);

    const addPackage = () => {
      const n = list.childElementCount + 1;
      const field = (name: string, label: string, placeholder: string, maxlength: number) =>
        h('label', {}, label, h('input', { name, 'data-testid': `ship-${name}`, placeholder, autocomplete: 'off', maxlength }));
      const remove = h('button', { type: 'button', class: 'plain', 'data-testid': 'ship-remove-package', 'aria-label': `remove package ${n}` }, '×');
      const row = h(
        'div',
        { class: 'package', 'data-testid': 'ship-package' },
        field('expressCompany', 'Carrier code', 'SF, YTO, ZTO…', 128),
        field('trackingNo', 'Tracking no.', '', 128),
        field('itemDesc', 'Items (optional)', description, 120),
        field('contact', 'Receiver phone, masked (SF)', '189****1234', 24),
        remove,
      );
      on(remove, 'click', () => {
        row.remove();
        sync();
      });
      list.append(row);
      sync();
    };
    const sync = () => {
      const isExpress = type.value === 'express';
      express.hidden = !isExpress;
      add.disabled = list.childElementCount >= MAX_PACKAGES;
      allDeliveredLabel.hidden = list.childElementCount < 2;
      for (const b of list.querySelectorAll<HTMLButtonElement>('[data-testid="ship-remove-package"]')) b.disabled = list.childElementCount <= 1;
      problem.textContent = '';
    };
    const body = (): unknown => {
      if (type.value !== 'express') return { logisticsType: type.value };
      const packages = [...list.querySelectorAll('[data-testid="ship-package"]')].map((row) => {
        const value = (name: string) => row.querySelector<HTMLInputElement>(`input[name="${name}"]`)?.value.trim() ?? '';
        const optional = (name: string) => (value(name) === '' ? {} : { [name]: value(name) });
        return { expressCompany: value('expressCompany'), trackingNo: value('trackingNo'), ...optional('itemDesc'), ...optional('contact') };
      });
      return { logisticsType: 'express', packages, ...(packages.length > 1 ? { allDelivered: allDelivered.checked } : {}) };
    };
    const done = (value: ShipmentBody | undefined) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    on(type, 'change', sync);
    on(add, 'click', addPackage);
    on(cancel, 'click', () => done(undefined));
    on(form, 'submit', (event) => {
      event.preventDefault();
      const parsed = shipmentBody.safeParse(body());
      if (parsed.success) return done(parsed.data);
      const issue = parsed.error.issues[0];
      problem.textContent = issue === undefined ? 'not a shipment' : `${where(issue.path)}${issue.message}`;
    });
    addPackage();
    document.body.append(dialog);
    dialog.showModal();
    type.focus();
  });
}

/** "package 2, trackingNo: " for a person (zod's paths count from 0). */
function where(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  const parts = path.map((p, i) => (typeof p === 'number' && path[i - 1] === 'packages' ? `package ${p + 1}` : String(p)));
  return `${parts.filter((p) => p !== 'packages' || path.length === 1).join(', ')}: `;
}
