// The keys Flux's GitRepository reads from its `secretRef` for the fleet's URL scheme
// (`username`/`password` for https; `identity`, `identity.pub`, `known_hosts` for ssh), and the
// SSH key handling behind them: a deploy key generated in memory, or a private key read from a
// file, each sealed in OpenSSH format with its public half derived here.
import { generateKeyPairSync } from 'node:crypto';
import sshpk from 'sshpk';
import { FluxSopsError } from '../errors.js';
import type { SecretEntry } from './values.js';

export function httpsCredentials(username: string, password: string): SecretEntry[] {
  return [
    { key: 'username', value: username },
    { key: 'password', value: password },
  ];
}

/** An SSH key pair as the Secret holds it: both halves as OpenSSH text, each ending with a newline. */
export interface SshKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function sshCredentials(keyPair: SshKeyPair, knownHosts: string): SecretEntry[] {
  return [
    { key: 'identity', value: keyPair.privateKey },
    { key: 'identity.pub', value: keyPair.publicKey },
    { key: 'known_hosts', value: knownHosts },
  ];
}

function toKeyPair(key: sshpk.PrivateKey): SshKeyPair {
  return {
    privateKey: ensureNewline(key.toString('openssh')),
    publicKey: ensureNewline(key.toPublic().toString('ssh')),
  };
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * A new ed25519 deploy key, made in memory: node:crypto makes the pair, sshpk writes the
 * private half in the OpenSSH format `ssh-keygen` writes (what Flux reads as `identity`).
 */
export function generateDeployKey(comment: string): SshKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = sshpk.parsePrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }), 'pem');
  key.comment = comment;
  return toKeyPair(key);
}

/**
 * Reads a private key (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM) given as `source` (named in
 * errors; the key itself never is). A key protected by a passphrase is refused: Flux cannot
 * use one (it would need the passphrase in the same Secret). DSA is refused: OpenSSH and
 * the Git hosts dropped it.
 */
export function readPrivateKey(bytes: Uint8Array, source: string): SshKeyPair {
  let key: sshpk.PrivateKey;
  try {
    key = sshpk.parsePrivateKey(Buffer.from(bytes), 'auto');
  } catch (error) {
    if ((error as Error).name === 'KeyEncryptedError') {
      throw new FluxSopsError(
        'input',
        `${source} is protected by a passphrase, which Flux cannot use: give a key without one (ssh-keygen -t ` +
          `ed25519 -N '' makes one; or use --generate-ssh-key)`,
      );
    }
    throw new FluxSopsError(
      'input',
      `${source} is not a private key in OpenSSH or PEM format (it could not be read as one)`,
    );
  }
  if (key.type === 'dsa') {
    throw new FluxSopsError(
      'input',
      `${source} is a DSA key, which OpenSSH and Git hosts no longer accept: use an ed25519, ECDSA or RSA key`,
    );
  }
  if (key.comment === '(unnamed)') {
    key.comment = ''; // sshpk's stand-in for a PEM key without comment: not part of identity.pub
  }
  return toKeyPair(key);
}

/** A known_hosts line: `[markers] hosts keytype base64key [comment]`. */
const KNOWN_HOSTS_LINE =
  /^(?:@(?:cert-authority|revoked)\s+)?\S+\s+(?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+\s+AAAA[A-Za-z0-9+/]+={0,2}(?:\s.*)?$/;

/**
 * Checks the text of a known_hosts file (public data: the error may quote a line number). Flux
 * refuses an ssh GitRepository without known_hosts, and checks the host key against it.
 */
export function validateKnownHosts(text: string | undefined, source: string): string {
  if (text === undefined) {
    throw new FluxSopsError(
      'input',
      `${source} is not UTF-8 text: a known_hosts file is (make one with ssh-keyscan <host> > known_hosts)`,
    );
  }
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const entries = lines.filter((line) => line !== '' && !line.startsWith('#'));
  if (entries.length === 0) {
    throw new FluxSopsError(
      'input',
      `${source} has no host keys: make it with ssh-keyscan <host> > known_hosts (then check the keys against ` +
        `the host's published fingerprints)`,
    );
  }
  const bad = lines.findIndex((line) => line !== '' && !line.startsWith('#') && !KNOWN_HOSTS_LINE.test(line));
  if (bad !== -1) {
    throw new FluxSopsError(
      'input',
      `${source} line ${bad + 1} is not a known_hosts entry ("host keytype key"), as ssh-keyscan writes them`,
    );
  }
  return ensureNewline(text);
}
