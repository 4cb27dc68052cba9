// A KMS-compatible HTTP endpoint on 127.0.0.1 for tests: TrentService.Encrypt/Decrypt over the AWS JSON 1.1 protocol, a real AES-GCM secret per key, refusals on demand, and call counts.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KmsCall {
  operation: 'Encrypt' | 'Decrypt';
  /** The KeyId the request named (Decrypt may name none). */
  keyId: string | undefined;
  /** The key that did (or would have done) the work: the KeyId, or for Decrypt the key inside the blob. */
  key: string | undefined;
  /** The region of the SigV4 credential scope: the client's region. */
  region: string | undefined;
  status: number;
}

export interface LocalKms {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_KMS. */
  readonly url: string;
  readonly calls: KmsCall[];
  /**
   * Adds a key with a fresh random secret and returns its key ARN. Given an alias ARN, it makes a
   * key ARN for it (same region and account), as KMS keys stand behind aliases.
   */
  addKey(arn: string): string;
  /** The key ARN behind a key or alias ARN. */
  keyOf(arn: string): string | undefined;
  /** Answers AccessDeniedException for this key (or alias; for one operation, or both). */
  refuse(arn: string, operation?: 'Encrypt' | 'Decrypt'): void;
  allow(arn: string): void;
  /** Calls served (or refused) by a key, named by its key or alias ARN. */
  count(operation?: 'Encrypt' | 'Decrypt', arn?: string): number;
  stop(): Promise<void>;
}

const MAGIC = Buffer.from('LKMS1');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the endpoint on a random port of 127.0.0.1. */
export async function startLocalKms(arns: string[] = []): Promise<LocalKms> {
  const secrets = new Map<string, Buffer>();
  const aliases = new Map<string, string>();
  const refused = new Map<string, Set<'Encrypt' | 'Decrypt'>>();
  const resolve = (id: string | undefined): string | undefined =>
    id === undefined ? undefined : (aliases.get(id) ?? (secrets.has(id) ? id : undefined));
  const calls: KmsCall[] = [];

  const send = (res: ServerResponse, status: number, body: object, errorType?: string) => {
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomBytes(8).toString('hex'),
    };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, type: string, message: string, status = 400) => {
    send(res, status, { __type: type, message }, type);
    return status;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/kms\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const body = JSON.parse((await readBody(req)) || '{}') as {
      KeyId?: string;
      Plaintext?: string;
      CiphertextBlob?: string;
    };
    const operation =
      target === 'TrentService.Encrypt' ? 'Encrypt' : target === 'TrentService.Decrypt' ? 'Decrypt' : undefined;
    const call: KmsCall = {
      operation: operation ?? 'Encrypt',
      keyId: body.KeyId,
      key: body.KeyId,
      region,
      status: 200,
    };
    if (!operation) {
      fail(res, 'UnknownOperationException', `unknown operation ${target}`);
      return;
    }
    calls.push(call);
    if (operation === 'Encrypt') {
      const arn = resolve(body.KeyId) ?? '';
      call.key = arn || body.KeyId;
      const secret = secrets.get(arn);
      if (!secret) {
        call.status = fail(res, 'NotFoundException', `Key '${body.KeyId ?? ''}' does not exist`);
        return;
      }
      if (refused.get(arn)?.has('Encrypt')) {
        call.status = fail(
          res,
          'AccessDeniedException',
          `User: arn:aws:iam::000000000000:user/test is not authorized to perform: kms:Encrypt on resource: ${arn} because no identity-based policy allows the kms:Encrypt action`,
        );
        return;
      }
      const plaintext = Buffer.from(body.Plaintext ?? '', 'base64');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', secret, iv);
      cipher.setAAD(Buffer.from(arn));
      const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const arnBytes = Buffer.from(arn);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(arnBytes.length);
      const blob = Buffer.concat([MAGIC, len, arnBytes, iv, cipher.getAuthTag(), data]);
      send(res, 200, { CiphertextBlob: blob.toString('base64'), KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      return;
    }
    const blob = Buffer.from(body.CiphertextBlob ?? '', 'base64');
    if (blob.length < MAGIC.length + 2 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
      call.status = fail(res, 'InvalidCiphertextException', 'The ciphertext is not a ciphertext of this KMS');
      return;
    }
    const arnLen = blob.readUInt16BE(MAGIC.length);
    let p = MAGIC.length + 2;
    const arn = blob.subarray(p, p + arnLen).toString();
    call.key = arn;
    p += arnLen;
    const secret = secrets.get(arn);
    if (!secret) {
      call.status = fail(res, 'NotFoundException', `Key '${arn}' does not exist`);
      return;
    }
    if (body.KeyId && resolve(body.KeyId) !== arn) {
      call.status = fail(
        res,
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
      return;
    }
    if (refused.get(arn)?.has('Decrypt')) {
      call.status = fail(
        res,
        'AccessDeniedException',
        `User: arn:aws:iam::000000000000:user/test is not authorized to perform: kms:Decrypt on resource: ${arn} because no identity-based policy allows the kms:Decrypt action`,
      );
      return;
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', secret, blob.subarray(p, p + 12));
      decipher.setAAD(Buffer.from(arn));
      decipher.setAuthTag(blob.subarray(p + 12, p + 28));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(p + 28)), decipher.final()]);
      send(res, 200, { KeyId: arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    } catch {
      call.status = fail(res, 'InvalidCiphertextException', 'The ciphertext was altered');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      fail(res, 'InternalFailureException', (error as Error).message, 500);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const kms: LocalKms = {
    url: `http://127.0.0.1:${port}`,
    calls,
    addKey(arn) {
      const alias = /^(arn:aws[\w-]*:kms:[^:]+:\d+):alias\/.+$/.exec(arn);
      if (alias) {
        const existing = aliases.get(arn);
        if (existing) return existing;
        const id = randomBytes(16)
          .toString('hex')
          .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
        const key = `${alias[1]}:key/${id}`;
        secrets.set(key, randomBytes(32));
        aliases.set(arn, key);
        return key;
      }
      secrets.set(arn, randomBytes(32));
      return arn;
    },
    keyOf(arn) {
      return resolve(arn);
    },
    refuse(arn, operation) {
      refused.set(resolve(arn) ?? arn, new Set(operation ? [operation] : ['Encrypt', 'Decrypt']));
    },
    allow(arn) {
      refused.delete(resolve(arn) ?? arn);
    },
    count(operation, arn) {
      const key = arn === undefined ? undefined : (resolve(arn) ?? arn);
      return calls.filter((c) => (!operation || c.operation === operation) && (!key || c.key === key)).length;
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  for (const arn of arns) kms.addKey(arn);
  return kms;
}

/** Sets environment variables (undefined deletes one) for the duration of a test; call the result to restore. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The environment that points the AWS SDK at a local endpoint with fake credentials, and nowhere else. */
export function localAwsEnv(url: string): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL_KMS: url,
    AWS_ENDPOINT_URL: undefined,
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_DEFAULT_PROFILE: undefined,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
  };
}
