// The product's one error type. Every problem a user can act on is a FluxSopsError with a kind
// and an exit status; one place (the command line, or the generators under `yo`) prints it.
// Anything else that escapes is a bug and is printed with its stack only under --debug.
// describeValue is how every message quotes a value the user gave (never a secret).

/** What went wrong, from the user's side; each kind has one exit status in every command. */
export type ErrorKind =
  /** A value given on the command line, in the answers file, at a prompt or in .yo-rc.json. */
  | 'input'
  /** A command line that cannot be read: unknown option, missing or extra argument. */
  | 'usage'
  /**
   * The fleet's own files cannot be used as they are: .sops.yaml unparsable or without a matching
   * rule, an unknown environment, a master key this product cannot use.
   */
  | 'fleet'
  /** Files the user changed would be overwritten: nothing was written. */
  | 'conflict'
  /** The destination cannot take the files (permissions, a file where a folder must go). */
  | 'unwritable'
  /** A sealed fleet file that must be read cannot be (not YAML, truncated, an alias bomb): nothing was written. */
  | 'unreadable'
  /** A master key refused to wrap or unwrap a data key (KMS error, no usable age identity). */
  | 'key'
  /** The user pressed Ctrl-C or chose to abort. */
  | 'cancelled'
  /** The user answered no to a question (say "Replace it?"): a choice, not an error; nothing was written. */
  | 'declined';

import { type SopsErrorCode, isSopsError } from './sops/errors.js';
import { withoutSecretKeys } from './sops/key-ids.js';

export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  input: 2,
  usage: 2,
  fleet: 2,
  conflict: 1,
  unwritable: 1,
  unreadable: 1,
  key: 1,
  cancelled: 130,
  declined: 0,
};

export class FluxSopsError extends Error {
  /** The process exit status. Named `code` because `yo` exits with an error's numeric `code`. */
  readonly code: number;

  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'FluxSopsError';
    this.code = EXIT_CODES[kind];
  }
}

/** The product's kind for each code of the SOPS library's errors; 'internal' is a bug, left as it is. */
const KIND_OF_SOPS_CODE: Readonly<Record<SopsErrorCode, ErrorKind | undefined>> = {
  'invalid-input': 'input',
  'unreadable-file': 'fleet',
  'metadata-not-found': 'fleet',
  'invalid-selector': 'fleet',
  'conflicting-parameters': 'fleet',
  'unusable-key': 'fleet',
  'no-key': 'fleet',
  'could-not-retrieve-key': 'key',
  'could-not-wrap-key': 'key',
  'error-encrypting-tree': 'fleet',
  'error-decrypting-tree': 'fleet',
  'error-decrypting-mac': 'fleet',
  'mac-mismatch': 'fleet',
  internal: undefined,
};

/**
 * The one mapping from the SOPS library to the product: a SopsError becomes the FluxSopsError of
 * its code's kind (and exit status), with the same message; anything else is returned as it is.
 * Called where the product calls the library (sealing, updatekeys, rotate).
 */
export function fromSopsError(error: unknown): unknown {
  const kind = isSopsError(error) ? KIND_OF_SOPS_CODE[error.code] : undefined;
  return kind === undefined ? error : new FluxSopsError(kind, (error as Error).message);
}

/**
 * The option `flux-sops` runs the generators with (not declared: never on a command line). It
 * prints their errors itself, prefixed `flux-sops: `; under `yo`, which prints a message as it
 * is, the generators add that prefix.
 */
export const RUN_BY_FLUX_SOPS = 'runByFluxSops';

export function isFluxSopsError(error: unknown): error is FluxSopsError {
  return error instanceof FluxSopsError;
}

/** An input problem: the run stops before writing anything, with exit status 2. */
export function inputError(problems: readonly string[]): FluxSopsError {
  return new FluxSopsError('input', problems.join('\n'));
}

/**
 * A value as an error message shows it: JSON-quoted (so no control character reaches the
 * terminal raw), shortened, and with any credentials in a URL hidden, since messages end up in CI logs.
 */
export function describeValue(value: unknown): string {
  const text = redactCredentials(JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Replaces `user:password@` and https `token@` in URLs with `***@` (`ssh://git@host` stays
 * readable), and an age secret key given where a public key belongs with `AGE-SECRET-KEY-…`.
 */
export function redactCredentials(text: string): string {
  return withoutSecretKeys(text)
    .replace(/(^|\/\/|")[^\s"/@]*:[^\s"/@]*@/g, '$1***@')
    .replace(/(https?:\/\/)[^\s"/@]+@/gi, '$1***@');
}

export function invalid(field: string, value: unknown, message: string): string {
  return `Invalid ${field} ${describeValue(value)}: ${message}`;
}

/**
 * Ctrl-C at a prompt (inquirer's errors) or "abort" at a conflict question, as the product's
 * cancellation: `yo` and `flux-sops` both say "Cancelled: nothing was written." and exit 130,
 * not "User force closed the prompt with SIGINT". The generators write nothing before every
 * question is answered, so it is true.
 */
export function asCancellation(error: unknown): unknown {
  const { name, message } = (error ?? {}) as Error;
  if (name === 'AbortPromptError' || name === 'ExitPromptError' || message === 'Process aborted by user') {
    return new FluxSopsError('cancelled', 'Cancelled: nothing was written.');
  }
  return error;
}

/** An error as the product's own lines: the message, and a stack only for a bug under --debug. */
export function formatError(error: unknown, debug: boolean): { text: string; status: number } {
  if (isFluxSopsError(error)) {
    return {
      text:
        error.kind === 'cancelled' || error.kind === 'declined'
          ? `${error.message}\n`
          : `flux-sops: ${error.message}\n`,
      status: error.code,
    };
  }
  // An unexpected error's message may quote what it was given (a URL with a token, an age key): redacted.
  const message = redactCredentials((error as Error).message ?? String(error));
  const stack = (error as Error).stack === undefined ? undefined : redactCredentials((error as Error).stack as string);
  return {
    text:
      debug && stack
        ? `${stack}\n`
        : `flux-sops: ${message}\n(an unexpected error: run again with --debug for its stack trace)\n`,
    status: 1,
  };
}
