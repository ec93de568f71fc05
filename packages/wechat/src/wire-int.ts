/**
 * The one rule for turning a wire integer (v2 XML fields, bill counts and yuan, header timestamps) into a number:
 * `0`, or a non-zero digit followed by digits, and a safe integer. No sign, no decimals, no exponent, and no leading
 * zeros: WeChat never sends `0100`, so text like that did not come from WeChat as it is documented, and reading it
 * as 100 would let two different byte strings stand for one amount.
 */
const WIRE_INT = /^(?:0|[1-9][0-9]*)$/;

/** The integer `text` stands for, or undefined when it breaks the rule (or is longer than `maxDigits`). */
export function parseWireInt(text: string, maxDigits = 16): number | undefined {
  if (text.length > maxDigits || !WIRE_INT.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
