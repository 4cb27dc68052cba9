// Owns one value ⇄ `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, as sops' aes/cipher.go: AES-256-GCM,
// 32-byte random IV, the value's path as additional data.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SopsError } from './errors.js';
import { Comment, GoFloat, type Scalar, parseRfc3339, sopsTypeOf, toBytes } from './tree.js';

const NONCE_SIZE = 32;
const TAG_SIZE = 16;

/** sops' parse regexp; like Go's, it is not anchored at the end. */
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;

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
export function encryptValue(
  value: Scalar | Comment,
  key: Uint8Array,
  additionalData: string,
  iv?: Uint8Array,
): string {
  if (isEmptyValue(value)) return '';
  if (key.length !== 32) throw new SopsError('internal', 'the data key must be 32 bytes');
  const type = sopsTypeOf(value);
  const nonce = iv ?? randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(toBytes(value)), cipher.final()]);
  const tag = cipher.getAuthTag();
  const iv64 = Buffer.from(nonce).toString('base64');
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv64},tag:${tag.toString('base64')},type:${type}]`;
}

/**
 * Go's strict StdEncoding: groups of four, `=` padding only at the end. A loop, not a regex: any
 * length, no recursion.
 */
export function isStrictBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  for (let index = 0; index < text.length - padding; index += 1) {
    const code = text.charCodeAt(index);
    const valid =
      (code >= 65 && code <= 90) ||
      (code >= 97 && code <= 122) ||
      (code >= 48 && code <= 57) ||
      code === 43 ||
      code === 47;
    if (!valid) return false;
  }
  return true;
}

function base64Field(text: string, what: string): Buffer {
  if (!isStrictBase64(text)) throw new SopsError('error-decrypting-tree', `Error base64-decoding ${what}`);
  return Buffer.from(text, 'base64');
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new SopsError('error-decrypting-tree', 'a bool value does not read as a bool');
}

/** Go's strconv.Atoi on a 64-bit platform. */
function parseGoInt(text: string): number | bigint {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new SopsError('error-decrypting-tree', 'an int value does not read as an int');
  const n = BigInt(text);
  if (n < -(2n ** 63n) || n > 2n ** 63n - 1n)
    throw new SopsError('error-decrypting-tree', 'an int value is out of range');
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Go's strconv.ParseFloat(s, 64) for the decimal forms FormatFloat writes (and inf/nan). */
function parseGoFloat(text: string): number {
  const lower = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(lower)) return NaN;
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) {
    throw new SopsError('error-decrypting-tree', 'a float value does not read as a float');
  }
  const n = Number(text);
  if (!Number.isFinite(n)) throw new SopsError('error-decrypting-tree', 'a float value is out of range');
  return n;
}

/**
 * Decrypts one `ENC[…]` value. The empty string decrypts to ''. Throws SopsError (never naming the
 * value) when the text is not an encrypted value, the key or path is wrong, or the type is unknown.
 */
export function decryptValue(text: string, key: Uint8Array, additionalData: string): Scalar | Comment {
  if (text === '') return '';
  const m = ENC_RE.exec(text);
  if (!m) throw new SopsError('error-decrypting-tree', "the value does not match sops' data format");
  const data = base64Field(m[1]!, 'data');
  const iv = base64Field(m[2]!, 'iv');
  const tag = base64Field(m[3]!, 'tag');
  const type = m[4]!;
  if (key.length !== 32) throw new SopsError('error-decrypting-tree', 'the data key must be 32 bytes');
  if (iv.length === 0) throw new SopsError('error-decrypting-tree', 'the value has an empty IV');
  if (tag.length !== TAG_SIZE) throw new SopsError('error-decrypting-tree', 'the value has a malformed tag');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_SIZE });
    decipher.setAAD(Buffer.from(additionalData, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new SopsError(
      'error-decrypting-tree',
      'Could not decrypt with AES_GCM (wrong data key, or the value was moved or altered)',
    );
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
      throw new SopsError('error-decrypting-tree', 'the value has an unknown datatype');
  }
}
