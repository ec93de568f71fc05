import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPaymentFailure } from '../src/wx-promise.js';

test('requestPayment failures: cancel variants versus real failures', () => {
  const rows: Array<[string, 'cancel' | 'fail']> = [
    ['requestPayment:fail cancel', 'cancel'],
    ['requestPayment:fail:cancel', 'cancel'],
    ['requestPayment:cancel', 'cancel'],
    ['requestPayment:fail', 'fail'],
    ['requestPayment:fail system error', 'fail'],
    ['requestPayment:fail cancelled by risk control', 'fail'],
    ['requestPayment:fail (detail message)', 'fail'],
  ];
  for (const [errMsg, kind] of rows) assert.equal(classifyPaymentFailure(errMsg).kind, kind, errMsg);
});
