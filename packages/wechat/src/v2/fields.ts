import { WxPayProtocolError } from '../errors.js';
import { parseWireInt } from '../wire-int.js';

/** Reading typed values out of a parsed v2 document; a missing or malformed field is a protocol error naming it. */

export function requireString(fields: Readonly<Record<string, string>>, name: string): string {
  const value = fields[name];
  if (value === undefined || value === '') throw new WxPayProtocolError(`missing field ${name}`);
  return value;
}

export function optionalString(fields: Readonly<Record<string, string>>, name: string): string | undefined {
  const value = fields[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A non-negative integer in decimal digits (fen or a count), by the SDK's one wire-integer rule (no leading zeros). */
export function parseIntField(name: string, value: string): number {
  const n = parseWireInt(value);
  if (n === undefined) {
    throw new WxPayProtocolError(/^[0-9]{1,16}$/.test(value) ? `field ${name} is out of range or has leading zeros` : `field ${name} is not an integer`);
  }
  return n;
}

export function requireInt(fields: Readonly<Record<string, string>>, name: string): number {
  return parseIntField(name, requireString(fields, name));
}

export function optionalInt(fields: Readonly<Record<string, string>>, name: string): number | undefined {
  const value = optionalString(fields, name);
  return value === undefined ? undefined : parseIntField(name, value);
}
