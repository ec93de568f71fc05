// The sandbox cashier: a bottom sheet standing in for WeChat Pay's own. The real cashier shows
// the amount and asks for the payment password; here the user picks what WeChat would answer.
import type { CashierAction } from './wx-shim.js';
import { h, yuan } from './dom.js';

export function openCashier(amountFen: number | undefined, merchant: string): Promise<CashierAction> {
  return new Promise((resolve) => {
    const choose = (action: CashierAction) => () => {
      overlay.remove();
      document.removeEventListener('keydown', onKey);
      resolve(action);
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') choose('cancel')();
    };
    const pay = h('button', { class: 'btn btn-primary btn-block', 'data-testid': 'cashier-pay', type: 'button' }, 'Pay');
    const fail = h('button', { class: 'btn btn-ghost', 'data-testid': 'cashier-fail', type: 'button' }, 'Simulate a failure');
    const cancel = h('button', { class: 'sheet-close', 'data-testid': 'cashier-cancel', type: 'button', 'aria-label': 'Cancel payment' }, '×');
    pay.addEventListener('click', choose('pay'));
    fail.addEventListener('click', choose('fail'));
    cancel.addEventListener('click', choose('cancel'));
    const overlay = h(
      'div',
      { class: 'overlay', 'data-testid': 'cashier', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'WeChat Pay' },
      h(
        'div',
        { class: 'sheet' },
        h('div', { class: 'sheet-head' }, cancel, h('span', { class: 'sheet-title' }, 'WeChat Pay · sandbox')),
        h('p', { class: 'sheet-merchant' }, merchant),
        h('p', { class: 'sheet-amount', 'data-testid': 'cashier-amount' }, amountFen === undefined ? '—' : yuan(amountFen)),
        h('p', { class: 'sheet-note' }, 'No real money moves: the embedded sandbox plays WeChat Pay and sends the payment notification to the shop.'),
        pay,
        fail,
      ),
    );
    document.addEventListener('keydown', onKey);
    document.body.append(overlay);
    pay.focus();
  });
}
