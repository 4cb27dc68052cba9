// Owns age as a master key (sops' age/keysource.go) through the age authors' TypeScript library,
// and finding the age identities where sops looks for them.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Decrypter, Encrypter, armor } from 'age-encryption';
import { isUsableAgeRecipient, withoutSecretKeys } from './key-ids.js';
import { type MasterKeySource, keySourceError } from './keysource.js';

/** An identity line this implementation can use (sops' parseIdentity, plugins and SSH keys aside). */
export function isUsableAgeIdentity(identity: string): boolean {
  return /^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]+$/.test(identity);
}

/** age master key: `enc` is the armored age file holding the data key. */
export function ageKeySource(recipient: string, identities: readonly string[]): MasterKeySource {
  return {
    type: 'age',
    id: recipient,
    async wrap(dataKey: Uint8Array): Promise<string> {
      if (!isUsableAgeRecipient(recipient)) {
        throw keySourceError(
          'wrap',
          `"${withoutSecretKeys(recipient)}" is not an age recipient this tool can encrypt to (age1…)`,
          'not an age recipient',
        );
      }
      try {
        const e = new Encrypter();
        e.addRecipient(recipient);
        return armor.encode(await e.encrypt(dataKey));
      } catch (error) {
        const reason = (error as Error).message;
        throw keySourceError('wrap', `age could not encrypt the data key for ${recipient}: ${reason}`, reason);
      }
    },
    async unwrap(enc: string): Promise<Uint8Array> {
      if (identities.length === 0) {
        throw keySourceError(
          'unwrap',
          `no age identity is available for ${recipient} (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY)`,
          'no age identity available (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY)',
        );
      }
      let file: Uint8Array;
      try {
        file = armor.decode(enc);
      } catch {
        throw keySourceError(
          'unwrap',
          `the entry for ${recipient} does not hold an armored age file`,
          'enc is not an armored age file',
        );
      }
      const d = new Decrypter();
      for (const [index, id] of identities.entries()) {
        try {
          d.addIdentity(id);
        } catch {
          // age-encryption's message quotes the identity: never repeat it.
          throw keySourceError(
            'unwrap',
            `age identity ${index + 1} of ${identities.length} (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY) is not a valid ` +
              'AGE-SECRET-KEY-1… line (its checksum or encoding is wrong): fix or remove it',
            `age identity ${index + 1} of ${identities.length} is not valid (wrong checksum or encoding)`,
          );
        }
      }
      try {
        return await d.decrypt(file);
      } catch (error) {
        const raw = withoutSecretKeys((error as Error).message);
        const reason = /no identity matched/i.test(raw)
          ? `none of the ${identities.length} age identities available matches it`
          : raw;
        throw keySourceError('unwrap', `age could not decrypt the data key for ${recipient}: ${reason}`, reason);
      }
    },
  };
}

/** Where the identities came from, and what could not be used (never an identity itself). */
export interface AgeIdentities {
  identities: string[];
  /** `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE (<path>)`, or the default keys file path, for each place that gave some. */
  sources: string[];
  problems: string[];
}

/**
 * sops' default keys file: <user config dir>/sops/age/keys.txt (os.UserConfigDir, XDG_CONFIG_HOME
 * first on macOS too).
 */
export function defaultAgeKeyFile(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  // Only the given environment counts (USERPROFILE standing in for HOME on Windows), so that a test's
  // env is all there is.
  const home = env.HOME || env.USERPROFILE;
  let dir: string | undefined;
  if (platform === 'win32') dir = env.AppData || env.APPDATA;
  else if (platform === 'darwin')
    dir = env.XDG_CONFIG_HOME || (home ? join(home, 'Library', 'Application Support') : undefined);
  else dir = env.XDG_CONFIG_HOME || (home ? join(home, '.config') : undefined);
  return dir ? join(dir, 'sops', 'age', 'keys.txt') : undefined;
}

/**
 * Splits identity text as sops does: one identity a line, empty lines and `#` lines skipped; with
 * `wordsPerLine` (SOPS_AGE_KEY), every word of a line is an identity.
 */
export function parseAgeIdentityText(
  text: string,
  origin: string,
  wordsPerLine: boolean,
): { identities: string[]; problems: string[] } {
  const identities: string[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) return;
    const words = wordsPerLine ? line.split(/\s+/).filter((w) => w !== '') : [line.trim()];
    for (const word of words) {
      if (isUsableAgeIdentity(word)) identities.push(word);
      else if (word.startsWith('AGE-PLUGIN-'))
        problems.push(`${origin} line ${index + 1}: age plugin identities are not supported`);
      else problems.push(`${origin} line ${index + 1} is not an age identity (AGE-SECRET-KEY-1…)`);
    }
  });
  return { identities, problems };
}

/**
 * Loads the age identities sops would use, from an environment: SOPS_AGE_KEY, the file named by
 * SOPS_AGE_KEY_FILE, and the default keys file when it exists. SOPS_AGE_KEY_CMD, SSH keys and
 * passphrase-protected key files are not read.
 */
export async function loadAgeIdentities(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<AgeIdentities> {
  const out: AgeIdentities = { identities: [], sources: [], problems: [] };
  const add = (origin: string, text: string, wordsPerLine: boolean) => {
    if (/^-----BEGIN AGE ENCRYPTED FILE-----/m.test(text) || text.startsWith('age-encryption.org/')) {
      out.problems.push(`${origin} is passphrase-protected, which this tool cannot read`);
      return;
    }
    const r = parseAgeIdentityText(text, origin, wordsPerLine);
    out.identities.push(...r.identities);
    out.problems.push(...r.problems);
    if (r.identities.length > 0) out.sources.push(origin);
  };
  if (env.SOPS_AGE_KEY !== undefined) add('SOPS_AGE_KEY', env.SOPS_AGE_KEY, true);
  if (env.SOPS_AGE_KEY_FILE !== undefined) {
    const origin = `SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE})`;
    try {
      add(origin, await readFile(env.SOPS_AGE_KEY_FILE, 'utf8'), false);
    } catch (error) {
      out.problems.push(
        `${origin} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  if (env.SOPS_AGE_KEY_CMD !== undefined) out.problems.push('SOPS_AGE_KEY_CMD is set, but this tool does not run it');
  const file = defaultAgeKeyFile(env, platform);
  if (file) {
    try {
      add(file, await readFile(file, 'utf8'), false);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        out.problems.push(
          `${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    }
  }
  out.identities = [...new Set(out.identities)];
  return out;
}
