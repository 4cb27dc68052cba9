// Owns one value ⇄ `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, as sops' aes/cipher.go: AES-256-GCM, 32-byte random IV, the value's path as additional data.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Comment, GoFloat, GoTime, type Scalar, sopsTypeOf, toBytes } from './tree.js';

const NONCE_SIZE = 32;
const TAG_SIZE = 16;

/** sops' parse regexp; like Go's, it is not anchored at the end. */
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;

/** A value that failed to decrypt; the message never holds the value or the key. */
export class CipherError extends Error {
  override name = 'CipherError';
}

/** True when sops' cipher leaves the value as it is: an empty string, empty bytes or an empty comment. */
export function isEmptyValue(value: Scalar | Comment): boolean {
  if (typeof value === 'string') return value === '';
  if (value instanceof Uint8Array) return value.length === 0;
  if (value instanceof Comment) return value.value === '';
  return false;
}

/**
 * Encrypts one value with the data key; `additionalData` is the path (`a:b:`) or, for the MAC,
 * the file's lastmodified. Empty strings and comments come back as '' (sops leaves them out).
 */
export function encryptValue(value: Scalar | Comment, key: Uint8Array, additionalData: string, iv?: Uint8Array): string {
  if (isEmptyValue(value)) return '';
  if (key.length !== 32) throw new CipherError('the data key must be 32 bytes');
  const type = sopsTypeOf(value);
  const nonce = iv ?? randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(toBytes(value)), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${Buffer.from(nonce).toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Field(text: string, what: string): Buffer {
  if (!STRICT_BASE64.test(text)) throw new CipherError(`Error base64-decoding ${what}`);
  return Buffer.from(text, 'base64');
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new CipherError('a bool value does not read as a bool');
}

/** Go's strconv.Atoi on a 64-bit platform. */
function parseGoInt(text: string): number | bigint {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new CipherError('an int value does not read as an int');
  const n = BigInt(text);
  if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) throw new CipherError('an int value is out of range');
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Go's strconv.ParseFloat(s, 64) for the decimal forms FormatFloat writes (and inf/nan). */
function parseGoFloat(text: string): number {
  const lower = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(lower)) return NaN;
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) {
    throw new CipherError('a float value does not read as a float');
  }
  const n = Number(text);
  if (!Number.isFinite(n)) throw new CipherError('a float value is out of range');
  return n;
}

/** Go's time.Time.UnmarshalText (RFC 3339), normalised back to MarshalText's RFC 3339 nano form. */
export function parseRfc3339(text: string): GoTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw new CipherError('a time value does not read as RFC 3339');
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
    throw new CipherError('a time value is out of range');
  }
  const p2 = (n: number) => String(n).padStart(2, '0');
  const frac = fraction.slice(0, 9).replace(/0+$/, '');
  let tz = zone;
  if (zone !== 'Z') {
    const sign = zone[0]!;
    const [hh, mm] = zone.slice(1).split(':').map(Number) as [number, number];
    tz = hh === 0 && mm === 0 ? 'Z' : `${sign}${p2(hh)}:${p2(mm)}`;
  }
  return `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}:${p2(second)}${frac ? `.${frac}` : ''}${tz}`;
}

/**
 * Decrypts one `ENC[…]` value. The empty string decrypts to ''. Throws CipherError (never naming the
 * value) when the text is not an encrypted value, the key or path is wrong, or the type is unknown.
 */
export function decryptValue(text: string, key: Uint8Array, additionalData: string): Scalar | Comment {
  if (text === '') return '';
  const m = ENC_RE.exec(text);
  if (!m) throw new CipherError("the value does not match sops' data format");
  const data = base64Field(m[1]!, 'data');
  const iv = base64Field(m[2]!, 'iv');
  const tag = base64Field(m[3]!, 'tag');
  const type = m[4]!;
  if (key.length !== 32) throw new CipherError('the data key must be 32 bytes');
  if (iv.length === 0) throw new CipherError('the value has an empty IV');
  if (tag.length !== TAG_SIZE) throw new CipherError('the value has a malformed tag');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_SIZE });
    decipher.setAAD(Buffer.from(additionalData, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new CipherError('Could not decrypt with AES_GCM (wrong data key, or the value was moved or altered)');
  }
  const str = plain.toString('utf8');
  switch (type) {
    case 'str':
      return str;
    case 'int':
      return parseGoInt(str);
    case 'float':
      return new GoFloat(parseGoFloat(str));
    case 'bytes':
      return new Uint8Array(plain);
    case 'bool':
      return parseGoBool(str);
    case 'time':
      return parseRfc3339(str);
    case 'comment':
      return new Comment(str);
    default:
      throw new CipherError('the value has an unknown datatype');
  }
}
