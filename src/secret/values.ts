// The parts of a Secret a user names: its name, namespace and keys, and the values behind the
// keys. Validators return `true` or a message naming what is allowed (never a value: a value
// may be a credential); `KEY=VALUE` items are split here, and each value is sorted into
// `stringData` (text) or `data` (anything else, base64) as kubectl does for --from-file.
import { RESERVED_SECRET_NAMES } from '../fleet/layout.js';
import type { Validation } from '../fleet/validators.js';

const DNS_1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const DNS_1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
/** Kubernetes' rule for Secret and ConfigMap keys (IsConfigMapKey). */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** `<name>` of `secrets/<env>/<name>.yaml`: the Secret's name, a DNS-1123 subdomain the fleet does not use itself. */
export function validateSecretName(value: unknown): Validation {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !DNS_1123_SUBDOMAIN.test(value)) {
    return (
      'must be a DNS-1123 subdomain: 1 to 253 characters from a-z 0-9 - ., each dot-separated part starting ' +
      'and ending with a letter or digit'
    );
  }
  if (RESERVED_SECRET_NAMES.includes(value)) {
    return (
      `is a file of the fleet itself (secrets/<env>/${value}.yaml); choose another name (not ` +
      `${RESERVED_SECRET_NAMES.join(', ')})`
    );
  }
  return true;
}

export function validateNamespace(value: unknown): Validation {
  if (typeof value !== 'string' || value.length === 0 || value.length > 63 || !DNS_1123_LABEL.test(value)) {
    return 'must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit';
  }
  return true;
}

export function validateSecretKey(value: unknown): Validation {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !SECRET_KEY.test(value)) {
    return 'must be 1 to 253 characters from A-Z a-z 0-9 - . _ (a Kubernetes Secret key)';
  }
  if (value === '.' || value === '..' || value.startsWith('..')) {
    return 'must not be "." or ".." nor start with ".." (a Secret key is mounted as a file name)';
  }
  return true;
}

/** One value of the Secret, by key: a string typed or given, or the bytes of a file. */
export interface SecretEntry {
  readonly key: string;
  readonly value: string | Uint8Array;
}

/** Where a value goes in the Secret: readable text to `stringData`, anything else base64 to `data`. */
export interface PlacedValue {
  readonly field: 'stringData' | 'data';
  readonly key: string;
  readonly value: string;
}

/**
 * Characters YAML can carry in a scalar (its printable set): a value with any other character
 * (NUL, escape codes, U+FFFE…) goes to `data`, where it survives every YAML reader unchanged.
 */
const YAML_PRINTABLE = /^[\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The value as text if it is valid UTF-8 made of YAML-printable characters, else undefined. */
export function textOf(value: string | Uint8Array): string | undefined {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else {
    try {
      text = UTF8.decode(value);
    } catch {
      return undefined;
    }
  }
  // A lone surrogate (possible in a JavaScript string) is not UTF-8: the `u` regex rejects it.
  return text.startsWith('\ufeff') || !YAML_PRINTABLE.test(text) ? undefined : text;
}

export function placeValue(entry: SecretEntry): PlacedValue {
  const text = textOf(entry.value);
  if (text !== undefined) {
    return { field: 'stringData', key: entry.key, value: text };
  }
  const bytes = typeof entry.value === 'string' ? Buffer.from(entry.value, 'utf8') : Buffer.from(entry.value);
  return { field: 'data', key: entry.key, value: bytes.toString('base64') };
}

/**
 * Splits `KEY=VALUE` (`--from-literal`) or `KEY=PATH` (`--from-file`) at the first `=`, as
 * kubectl does. `--from-file PATH` without a key uses the file's base name as the key.
 * The error names the option and the key, never the value.
 */
export function splitKeyValue(
  item: string,
  option: 'from-literal' | 'from-file',
): { key: string; value: string } | string {
  const separator = item.indexOf('=');
  if (separator === -1) {
    if (option === 'from-file' && item !== '') {
      const key = item.replace(/\/+$/, '').split('/').at(-1) ?? '';
      return { key, value: item };
    }
    return `--${option} takes KEY=${option === 'from-literal' ? 'VALUE' : 'PATH'}, got an item without "="`;
  }
  return { key: item.slice(0, separator), value: item.slice(separator + 1) };
}

/** Keys given twice (kubectl refuses them too): the later value would silently win. */
export function duplicateKeys(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const key of keys) {
    (seen.has(key) ? twice : seen).add(key);
  }
  return [...twice];
}

/**
 * A user name or password for Git over https: one line of text, not empty (an empty value
 * would be left unencrypted by sops and refused by the Git host). Never quotes the value.
 */
export function validateCredential(value: string): Validation {
  if (value === '') {
    return 'is empty';
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    return 'has a line break or another control character (a Git credential is one line)';
  }
  return true;
}

/**
 * The password piped to `--password-stdin`: the bytes as UTF-8 text without the one line
 * ending `echo` or a file adds (as `docker login --password-stdin` reads it).
 */
export function passwordFromStdin(bytes: Uint8Array): string | { problem: string } {
  const text = textOf(bytes);
  if (text === undefined) {
    return { problem: 'is not UTF-8 text' };
  }
  const password = text.replace(/\r?\n$/, '');
  const valid = validateCredential(password);
  return valid === true
    ? password
    : { problem: valid === 'is empty' ? 'is empty (nothing was piped to stdin)' : valid };
}
