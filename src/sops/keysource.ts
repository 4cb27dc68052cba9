// Owns the one interface every master key implements (wrap/unwrap a data key), like sops'
// keys.MasterKey, and the factories a caller may inject.

import { SopsError } from './errors.js';

/** The key types this implementation can use. */
export type MasterKeyType = 'kms' | 'age';

/** One master key: wraps the 32-byte data key into the text stored as `enc`, and back. */
export interface MasterKeySource {
  readonly type: MasterKeyType;
  /** The key ARN or the age recipient, as written in the file. */
  readonly id: string;
  wrap(dataKey: Uint8Array): Promise<string>;
  unwrap(enc: string): Promise<Uint8Array>;
}

/** Makes the key sources; tests inject their own, the default talks to AWS KMS and age. */
export interface KeySourceFactory {
  kms(arn: string): MasterKeySource;
  /** `identities` are the age identities available for unwrapping (none are needed to wrap). */
  age(recipient: string, identities: readonly string[]): MasterKeySource;
}

/**
 * Why a master key could not wrap (code 'could-not-wrap-key') or unwrap ('could-not-retrieve-key')
 * a data key: the message for the user, the reason without the key for a list of keys tried. It
 * never holds the data key or a plaintext value.
 */
export function keySourceError(operation: 'wrap' | 'unwrap', message: string, reason: string): SopsError {
  return new SopsError(operation === 'wrap' ? 'could-not-wrap-key' : 'could-not-retrieve-key', message, reason);
}
