// Owns AWS KMS as a master key (sops' kms/keysource.go): Encrypt/Decrypt through
// @aws-sdk/client-kms, the region taken from the ARN, the SDK's default credential chain and
// endpoint settings.

import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SopsError } from './errors.js';
import { kmsRegionOf } from './key-ids.js';
import { type MasterKeySource, keySourceError } from './keysource.js';

// The SDK warns on every run under Node 20 (which this package supports) that its later releases
// will not: noise on stderr that says nothing about the user's keys. An explicit setting wins.
// Set when the first client is made, not when this module is loaded.
function quietNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

interface AwsError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The AWS error's name and message, with what to do for the two a user meets most. */
export function describeKmsError(arn: string, operation: 'Encrypt' | 'Decrypt', error: unknown): SopsError {
  const e = (error ?? {}) as AwsError;
  const name = e.name && e.name !== 'Error' ? e.name : (e.Code ?? e.code ?? 'Error');
  const code = e.Code && e.Code !== name ? ` (${e.Code})` : '';
  const message = (e.message ?? String(error)).trim().replace(/\.+$/, '');
  const reason = `${name}${code}: ${message}`;
  let hint = '';
  if (name === 'AccessDeniedException' || e.Code === 'AccessDeniedException') {
    hint =
      ` The AWS identity in use needs kms:${operation} on this key (check the key policy and IAM policies, and ` +
      `AWS_PROFILE).`;
  } else if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    hint =
      ' No AWS credentials were found: set AWS_PROFILE to a profile that can use this key, or run `aws sso login`.';
  } else if (
    name === 'ExpiredTokenException' ||
    name === 'TokenRefreshRequired' ||
    /token.*expired|expired.*token/i.test(message)
  ) {
    hint = ' The AWS session has expired: run `aws sso login` (or refresh the credentials of AWS_PROFILE).';
  }
  const verb = operation === 'Encrypt' ? 'encrypt the data key with' : 'decrypt the data key with';
  // The hint goes into the short reason too: updatekeys and rotate list the reason of each key tried.
  return keySourceError(
    operation === 'Encrypt' ? 'wrap' : 'unwrap',
    `AWS KMS could not ${verb} ${arn}: ${reason}.${hint}`,
    hint === '' ? reason : `${reason}.${hint}`,
  );
}

/** The default limit of one KMS call (connection, request and retries together), in seconds. */
export const DEFAULT_KMS_TIMEOUT_SECONDS = 30;

/**
 * The limit of one KMS call in milliseconds: FLUX_SOPS_KMS_TIMEOUT_SECONDS (read when a call is
 * made), or the default.
 */
export function kmsTimeoutMilliseconds(environment: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(environment.FLUX_SOPS_KMS_TIMEOUT_SECONDS);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_KMS_TIMEOUT_SECONDS) * 1000;
}

/** The endpoint the SDK calls for a region, as named in a message. */
function kmsEndpointOf(region: string): string {
  return process.env.AWS_ENDPOINT_URL_KMS ?? process.env.AWS_ENDPOINT_URL ?? `https://kms.${region}.amazonaws.com`;
}

/** A KMS call that got no answer in time, naming the key and the endpoint. */
function timeoutError(arn: string, operation: 'Encrypt' | 'Decrypt', milliseconds: number): SopsError {
  const region = kmsRegionOf(arn) ?? '?';
  const reason =
    `TimeoutError: the endpoint ${kmsEndpointOf(region)} gave no answer within ${milliseconds / 1000} s ` +
    '(set FLUX_SOPS_KMS_TIMEOUT_SECONDS to wait longer; check the network, a proxy, AWS_ENDPOINT_URL_KMS)';
  const verb = operation === 'Encrypt' ? 'encrypt the data key with' : 'decrypt the data key with';
  return keySourceError(
    operation === 'Encrypt' ? 'wrap' : 'unwrap',
    `AWS KMS could not ${verb} ${arn}: ${reason}.`,
    reason,
  );
}

/** Options for a KMS key source; tests may pass a client factory, nothing else is needed in use. */
export interface KmsKeySourceOptions {
  /** Makes the client for a region; the default is the SDK's own defaults for that region. */
  client?: (region: string) => KMSClient;
}

/** AWS KMS master key: `enc` is the base64 CiphertextBlob of Encrypt(KeyId = ARN, Plaintext = data key). */
export function kmsKeySource(arn: string, options: KmsKeySourceOptions = {}): MasterKeySource {
  const makeClient = (operation: 'wrap' | 'unwrap'): KMSClient => {
    const region = kmsRegionOf(arn);
    if (!region)
      throw keySourceError(
        operation,
        `"${arn}" is not an AWS KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`,
        'not a KMS key ARN',
      );
    if (options.client) return options.client(region);
    quietNodeVersionWarning();
    const milliseconds = kmsTimeoutMilliseconds();
    return new KMSClient({ region, requestHandler: { connectionTimeout: milliseconds, requestTimeout: milliseconds } });
  };
  /** One call, ended after the time limit whatever the SDK's retries do. */
  const send = async <T>(operation: 'Encrypt' | 'Decrypt', call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const milliseconds = kmsTimeoutMilliseconds();
    const signal = AbortSignal.timeout(milliseconds);
    try {
      return await call(signal);
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (signal.aborted || name === 'TimeoutError' || name === 'AbortError') {
        throw timeoutError(arn, operation, milliseconds);
      }
      throw describeKmsError(arn, operation, error);
    }
  };
  return {
    type: 'kms',
    id: arn,
    async wrap(dataKey: Uint8Array): Promise<string> {
      const client = makeClient('wrap');
      try {
        const out = await send('Encrypt', (abortSignal) =>
          client.send(new EncryptCommand({ KeyId: arn, Plaintext: dataKey }), { abortSignal }),
        );
        if (!out.CiphertextBlob)
          throw describeKmsError(arn, 'Encrypt', new Error('the Encrypt response has no CiphertextBlob'));
        return Buffer.from(out.CiphertextBlob).toString('base64');
      } finally {
        if (!options.client) client.destroy();
      }
    },
    async unwrap(enc: string): Promise<Uint8Array> {
      const blob = Buffer.from(enc, 'base64');
      if (enc.trim() === '' || blob.length === 0) {
        throw keySourceError('unwrap', `the entry for ${arn} has no encrypted data key`, 'no encrypted data key');
      }
      const client = makeClient('unwrap');
      try {
        const out = await send('Decrypt', (abortSignal) =>
          client.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: blob }), { abortSignal }),
        );
        if (!out.Plaintext) throw describeKmsError(arn, 'Decrypt', new Error('the Decrypt response has no Plaintext'));
        return new Uint8Array(out.Plaintext);
      } finally {
        if (!options.client) client.destroy();
      }
    },
  };
}
