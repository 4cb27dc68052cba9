// Owns the in-memory shape of a sops document (sops.go's TreeBranch, TreeItem, Comment and the Go
// value types) and sops' ToBytes, with Go's number formatting.

import { SopsError } from './errors.js';

/** A comment line, without its leading `#`; inline when it stood after a value on the same line. */
export class Comment {
  constructor(
    readonly value: string,
    readonly inline = false,
  ) {}
}

/** A Go float64 (YAML `!!float`); kept apart from ints because sops types and formats them differently. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** A Go time.Time from a plain YAML timestamp, kept as its RFC 3339 (nano) text, which is what sops encrypts. */
export class GoTime {
  constructor(readonly text: string) {}
}

/**
 * A leaf: string, bool, null (Go nil), int (number when safe, bigint beyond 2^53), GoFloat, GoTime,
 * or bytes (only ever from a `type:bytes` value).
 */
export type Scalar = string | boolean | null | number | bigint | GoFloat | GoTime | Uint8Array;

/** A mapping: items in document order, comments as items whose key is a Comment. */
export class TreeBranch {
  constructor(public items: TreeItem[] = []) {}
}

export interface TreeItem {
  key: string | Comment;
  value: TreeValue;
}

/** A sequence is a plain array; comments in it are Comment elements. */
export type TreeValue = Scalar | Comment | TreeBranch | TreeValue[];

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Decimal digits and exponent of the shortest representation that reads back as `x` (x finite, > 0). */
function shortestDigits(x: number): { digits: string; exp: number } {
  // toExponential() without an argument gives the shortest round-tripping digits, like Go's 'e', -1.
  const [mantissa, e] = x.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  return { digits, exp: Number(e) };
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a === 0) return neg ? '-0' : '0';
  const { digits, exp } = shortestDigits(a);
  const dp = exp + 1; // position of the decimal point relative to the digits
  let out: string;
  if (dp <= 0) {
    out = `0.${'0'.repeat(-dp)}${digits}`;
  } else if (dp >= digits.length) {
    out = digits + '0'.repeat(dp - digits.length);
  } else {
    out = `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  }
  return neg ? `-${out}` : out;
}

/** Go's strconv.FormatFloat(x, 'g', -1, 64) (what yaml.v3 writes for a float), with yaml.v3's .inf/.nan. */
export function formatFloatYaml(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (a === 0) return neg ? '-0' : '0';
  const { digits, exp } = shortestDigits(a);
  let out: string;
  // Go's 'g' with the shortest precision switches to %e when exp < -4 || exp >= 6.
  const eprec = 6;
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const sign = exp < 0 ? '-' : '+';
    const e = Math.abs(exp);
    out = `${mant}e${sign}${e < 10 ? `0${e}` : String(e)}`;
  } else {
    out = formatFloatF(a);
  }
  return neg ? `-${out}` : out;
}

/** sops' ToBytes: the bytes a value contributes to the MAC (comments contribute their text). */
export function toBytes(value: Scalar | Comment): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return Buffer.from(String(value), 'utf8');
  if (typeof value === 'boolean') return Buffer.from(value ? 'True' : 'False', 'utf8');
  if (value instanceof GoFloat) return Buffer.from(formatFloatF(value.value), 'utf8');
  if (value instanceof GoTime) return Buffer.from(value.text, 'utf8');
  if (value instanceof Comment) return Buffer.from(value.value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new SopsError('internal', 'Could not convert a value of unknown type to bytes');
}

/** The type name sops' cipher writes in `type:` for a value. */
export function sopsTypeOf(value: Scalar | Comment): 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes' {
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number' || typeof value === 'bigint') return 'int';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof GoFloat) return 'float';
  if (value instanceof GoTime) return 'time';
  if (value instanceof Comment) return 'comment';
  if (value instanceof Uint8Array) return 'bytes';
  throw new SopsError('internal', 'Value to encrypt has an unsupported type');
}

/** Go's time.Time.UnmarshalText (RFC 3339), normalised back to MarshalText's RFC 3339 nano form. */
export function parseRfc3339(text: string): GoTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw new SopsError('unreadable-file', 'a time value does not read as RFC 3339');
  return new GoTime(formatGoTime(m.slice(1, 7).map(Number) as Six, m[7] ?? '', m[8]!.toUpperCase()));
}

type Six = [number, number, number, number, number, number];

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** RFC 3339 with nanoseconds as Go prints it: trailing zeros of the fraction dropped, `Z` for a zero offset. */
export function formatGoTime([year, month, day, hour, minute, second]: Six, fraction: string, zone: string): string {
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59) {
    throw new SopsError('unreadable-file', 'a time value is out of range');
  }
  const p2 = (n: number) => String(n).padStart(2, '0');
  const frac = fraction.slice(0, 9).replace(/0+$/, '');
  let tz = zone;
  if (zone !== 'Z') {
    const sign = zone[0]!;
    const [hh, mm] = zone.slice(1).split(':').map(Number) as [number, number];
    tz = hh === 0 && mm === 0 ? 'Z' : `${sign}${p2(hh)}:${p2(mm)}`;
  }
  const date = `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}`;
  return `${date}T${p2(hour)}:${p2(minute)}:${p2(second)}${frac ? `.${frac}` : ''}${tz}`;
}
