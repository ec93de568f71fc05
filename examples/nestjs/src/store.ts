import { randomBytes } from 'node:crypto';
import type { Line } from './catalogue.js';

export type Order = {
  orderId: string;
  outTradeNo: string;
  openid: string;
  amount: number;
  items: Line[];
  status: 'CREATED' | 'PAID';
  createdAt: string;
  paidAt: string | undefined;
  transactionId: string | undefined;
};

export type PaymentOutcome = 'paid' | 'duplicate' | 'paid_twice' | 'amount_mismatch' | 'unknown_order' | 'not_paid';

/**
 * A tiny in-memory shop store (an example: use your database). Each order changes state once: CREATED → PAID.
 * Every verified notification is recorded with its outcome, so a duplicate is visible and changes nothing.
 */
export class ShopStore {
  readonly notifications: { outTradeNo: string; transactionId: string | undefined; outcome: PaymentOutcome; at: number }[] = [];
  private readonly sessions = new Map<string, { openid: string }>();
  private readonly orders = new Map<string, Order>();
  private readonly byOutTradeNo = new Map<string, Order>();

  createSession(openid: string): string {
    const token = randomBytes(24).toString('hex');
    this.sessions.set(token, { openid });
    return token;
  }

  session(token: string): { openid: string } | undefined {
    return this.sessions.get(token);
  }

  createOrder(input: { openid: string; amount: number; lines: Line[]; now: number }): Order {
    const order: Order = {
      orderId: `o_${randomBytes(8).toString('hex')}`,
      outTradeNo: `NEST${input.now}${randomBytes(4).toString('hex')}`,
      openid: input.openid,
      amount: input.amount,
      items: input.lines,
      status: 'CREATED',
      createdAt: new Date(input.now).toISOString(),
      paidAt: undefined,
      transactionId: undefined,
    };
    this.orders.set(order.orderId, order);
    this.byOutTradeNo.set(order.outTradeNo, order);
    return order;
  }

  order(orderId: string): Order | undefined {
    return this.orders.get(orderId);
  }

  /** Applies a verified payment notification; the outcome says what it changed. */
  applyPayment(input: { outTradeNo: string; transactionId: string | undefined; totalFee: number; paid: boolean; now: number }): PaymentOutcome {
    const order = this.byOutTradeNo.get(input.outTradeNo);
    let outcome: PaymentOutcome;
    if (order === undefined) outcome = 'unknown_order';
    else if (!input.paid) outcome = 'not_paid';
    else if (input.totalFee !== order.amount) outcome = 'amount_mismatch';
    else if (order.status === 'PAID') outcome = order.transactionId === input.transactionId ? 'duplicate' : 'paid_twice';
    else {
      order.status = 'PAID';
      order.paidAt = new Date(input.now).toISOString();
      order.transactionId = input.transactionId;
      outcome = 'paid';
    }
    this.notifications.push({ outTradeNo: input.outTradeNo, transactionId: input.transactionId, outcome, at: input.now });
    return outcome;
  }
}
