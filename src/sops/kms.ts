// Owns AWS KMS as a master key (sops' kms/keysource.go): Encrypt/Decrypt through @aws-sdk/client-kms, the region taken from the ARN, the SDK's default credential chain and endpoint settings.

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
    hint = ` The AWS identity in use needs kms:${operation} on this key (check the key policy and IAM policies, and AWS_PROFILE).`;
  } else if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    hint = ' No AWS credentials were found: set AWS_PROFILE to a profile that can use this key, or run `aws sso login`.';
  } else if (name === 'ExpiredTokenException' || name === 'TokenRefreshRequired' || /token.*expired|expired.*token/i.test(message)) {
    hint = ' The AWS session has expired: run `aws sso login` (or refresh the credentials of AWS_PROFILE).';
  }
  const verb = operation === 'Encrypt' ? 'encrypt the data key with' : 'decrypt the data key with';
  return keySourceError(operation === 'Encrypt' ? 'wrap' : 'unwrap', `AWS KMS could not ${verb} ${arn}: ${reason}.${hint}`, reason);
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
    if (!region) throw keySourceError(operation, `"${arn}" is not an AWS KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`, 'not a KMS key ARN');
    if (options.client) return options.client(region);
    quietNodeVersionWarning();
    return new KMSClient({ region });
  };
  return {
    type: 'kms',
    id: arn,
    async wrap(dataKey: Uint8Array): Promise<string> {
      const client = makeClient('wrap');
      try {
        const out = await client.send(new EncryptCommand({ KeyId: arn, Plaintext: dataKey }));
        if (!out.CiphertextBlob) throw new Error('the Encrypt response has no CiphertextBlob');
        return Buffer.from(out.CiphertextBlob).toString('base64');
      } catch (error) {
        throw describeKmsError(arn, 'Encrypt', error);
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
        const out = await client.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: blob }));
        if (!out.Plaintext) throw new Error('the Decrypt response has no Plaintext');
        return new Uint8Array(out.Plaintext);
      } catch (error) {
        throw describeKmsError(arn, 'Decrypt', error);
      } finally {
        if (!options.client) client.destroy();
      }
    },
  };
}
