import { ApiError } from './api.js';
import { byTestId, h, on } from './dom.js';

/** One line for people at the top: what went wrong (or right). */
export function say(text: string, kind: 'error' | 'ok' = 'error'): void {
  const msg = byTestId('message');
  msg.textContent = text;
  msg.dataset.kind = kind;
}

/** Shows an API refusal (or anything else that failed) and keeps the page usable. */
export function report(error: unknown): void {
  if (error instanceof ApiError) say(`${error.code}: ${error.message}`);
  else say(error instanceof Error ? error.message : 'something went wrong');
}

export type DialogField = { name: string; label: string; testid: string; placeholder?: string; value?: string; required?: boolean; inputmode?: string };

/**
 * A confirmation with fields (a reason is always one): resolves with the values, or undefined when cancelled. Nothing
 * is sent before the person confirms, and confirm stays disabled while a required field is empty.
 */
export function confirmDialog(title: string, text: string, fields: DialogField[], confirmLabel: string): Promise<Record<string, string> | undefined> {
  return new Promise((resolve) => {
    const inputs = fields.map((f) =>
      h('input', { name: f.name, 'data-testid': f.testid, placeholder: f.placeholder, value: f.value, inputmode: f.inputmode, autocomplete: 'off', maxlength: 80 }),
    );
    const confirm = h('button', { type: 'submit', 'data-testid': 'dialog-confirm' }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'plain', 'data-testid': 'dialog-cancel' }, 'Cancel');
    const form = h(
      'form',
      { method: 'dialog' },
      h('h3', {}, title),
      h('p', {}, text),
      ...fields.map((f, i) => h('label', {}, f.label, inputs[i])),
      h('div', { class: 'row' }, confirm, cancel),
    );
    const dialog = h('dialog', { 'data-testid': 'dialog' }, form);
    const required = () => fields.every((f, i) => f.required !== true || (inputs[i]?.value.trim() ?? '') !== '');
    const sync = () => {
      confirm.disabled = !required();
    };
    for (const input of inputs) on(input, 'input', sync);
    sync();
    const done = (value: Record<string, string> | undefined) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    on(cancel, 'click', () => done(undefined));
    on(form, 'submit', (event) => {
      event.preventDefault();
      if (!required()) return;
      done(Object.fromEntries(fields.map((f, i) => [f.name, inputs[i]?.value.trim() ?? ''])));
    });
    document.body.append(dialog);
    dialog.showModal();
    inputs[0]?.focus();
  });
}

export function card(title: string, testid: string, ...body: (Node | string)[]): HTMLElement {
  return h('section', { class: 'card', 'data-testid': testid }, h('h2', {}, title), ...body);
}
