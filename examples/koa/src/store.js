import { randomBytes } from 'node:crypto';

/**
 * A tiny in-memory shop store (an example: use your database). Each order changes state once: CREATED → PAID.
 * Every verified notification is recorded with its outcome, so a duplicate is visible and changes nothing.
 */
export class ShopStore {
  constructor() {
    this.sessions = new Map();
    this.orders = new Map();
    this.byOutTradeNo = new Map();
    this.notifications = [];
  }

  createSession(openid) {
    const token = randomBytes(24).toString('hex');
    this.sessions.set(token, { openid });
    return token;
  }

  session(token) {
    return this.sessions.get(token);
  }

  createOrder({ openid, amount, lines, now }) {
    const order = {
      orderId: `o_${randomBytes(8).toString('hex')}`,
      outTradeNo: `KOA${now}${randomBytes(4).toString('hex')}`,
      openid,
      amount,
      items: lines,
      status: 'CREATED',
      createdAt: new Date(now).toISOString(),
      paidAt: undefined,
      transactionId: undefined,
    };
    this.orders.set(order.orderId, order);
    this.byOutTradeNo.set(order.outTradeNo, order);
    return order;
  }

  order(orderId) {
    return this.orders.get(orderId);
  }

  /** Applies a verified payment notification; the outcome says what it changed. */
  applyPayment({ outTradeNo, transactionId, totalFee, resultCode, now }) {
    const order = this.byOutTradeNo.get(outTradeNo);
    let outcome;
    if (order === undefined) outcome = 'unknown_order';
    else if (resultCode !== 'SUCCESS') outcome = 'not_paid';
    else if (totalFee !== order.amount) outcome = 'amount_mismatch';
    else if (order.status === 'PAID') outcome = order.transactionId === transactionId ? 'duplicate' : 'paid_twice';
    else {
      order.status = 'PAID';
      order.paidAt = new Date(now).toISOString();
      order.transactionId = transactionId;
      outcome = 'paid';
    }
    this.notifications.push({ outTradeNo, transactionId, outcome, at: now });
    return outcome;
  }
}

