// The one error type of the SOPS library. Its `code` says what failed, as the exit statuses of
// sops' cmd/sops/codes do; the library knows no exit status: a program using it maps the codes
// to its own (this product does it in src/errors.ts). Messages never hold a data key or a
// plaintext value.

export type SopsErrorCode =
  /** A document sops cannot hold as given (a top-level `sops` key, a line separator in clear text). */
  | 'invalid-input'
  /** The file is not YAML sops reads, or its `sops` block cannot be read (codes.CouldNotReadInputFile). */
  | 'unreadable-file'
  /** The file has no `sops` block: it is not encrypted with sops (sops' MetadataNotFound). */
  | 'metadata-not-found'
  /** A selector (encrypted_regex, …) that is not a regular expression this library can use. */
  | 'invalid-selector'
  /** More than one selector (encrypted_regex, unencrypted_suffix, …) at once (codes.ErrorConflictingParameters). */
  | 'conflicting-parameters'
  /** A creation rule or a file names master keys this library cannot use (pgp, Shamir, a KMS role, …). */
  | 'unusable-key'
  /** No master key to wrap the data key for (codes.NoEncryptionKeyFound). */
  | 'no-key'
  /** No master key of the file could unwrap its data key (codes.CouldNotRetrieveKey). */
  | 'could-not-retrieve-key'
  /** A master key refused to wrap the data key. */
  | 'could-not-wrap-key'
  /** A value could not be encrypted (codes.ErrorEncryptingTree). */
  | 'error-encrypting-tree'
  /** A value could not be decrypted (codes.ErrorDecryptingTree). */
  | 'error-decrypting-tree'
  /** The MAC could not be decrypted (codes.ErrorDecryptingMac). */
  | 'error-decrypting-mac'
  /** The values do not match the MAC (codes.MacMismatch). */
  | 'mac-mismatch'
  /** A broken invariant of the library itself: a bug, not a problem of the input. */
  | 'internal';

export class SopsError extends Error {
  override name = 'SopsError';
  /** For a master key's failure: the short reason, without the key (listed under "tried" by the caller). */
  readonly reason: string;

  constructor(
    readonly code: SopsErrorCode,
    message: string,
    reason?: string,
  ) {
    super(message);
    this.reason = reason ?? message;
  }

  /** The same error with `context` said first, keeping its code. */
  within(context: string): SopsError {
    return new SopsError(this.code, `${context}: ${this.message}`, this.reason);
  }
}

export function isSopsError(error: unknown): error is SopsError {
  return error instanceof SopsError;
}
