// The rules of `flux-sops check` that look at every file Git would commit, not only at YAML and
// JSON: private key material (in any file, text or binary), the fleet's copy of the checker,
// and the CODEOWNERS placeholder. Pure: the command reads the bytes and passes them in. A
// finding names the file and the kind of key, never a byte of the key.
import { createHash } from 'node:crypto';
import { CODEOWNERS_FILE, FLEET_CHECKER_FILE, PLACEHOLDER_CODE_OWNER } from '../fleet/layout.js';
import { type Finding, finding } from './findings.js';

// The markers are split so that this file, bundled into .flux-sops/check.cjs, does not hold them.
const PRIVATE_KEY_END = ['PRIVATE', 'KEY-----'].join(' ');
const AGE_SECRET_KEY = ['AGE', 'SECRET', 'KEY', '1'].join('-');
/** What comes before PRIVATE KEY: five dashes, BEGIN, then the key type's words (RSA, EC, OPENSSH, ENCRYPTED…). */
const PEM_BEGIN = /-{5}BEGIN ((?:[A-Z0-9]+ )*)$/;
/** age's Bech32 alphabet, upper case in identities; an identity is 74 characters in all. */
const AGE_IDENTITY_BODY = /^[02-9AC-HJ-NP-Z]{58}/;

/** The kind of private key a file holds, or undefined: decided on raw bytes, so binary files count too. */
export function findPrivateKeyKind(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buffer.indexOf(PRIVATE_KEY_END); at !== -1; at = buffer.indexOf(PRIVATE_KEY_END, at + 1)) {
    const type = PEM_BEGIN.exec(buffer.toString('latin1', Math.max(0, at - 40), at))?.[1];
    if (type !== undefined) {
      return type === 'OPENSSH ' ? 'an OpenSSH private key' : `a PEM private key (${type}PRIVATE KEY)`;
    }
  }
  for (let at = buffer.indexOf(AGE_SECRET_KEY); at !== -1; at = buffer.indexOf(AGE_SECRET_KEY, at + 1)) {
    if (
      AGE_IDENTITY_BODY.test(buffer.toString('latin1', at + AGE_SECRET_KEY.length, at + AGE_SECRET_KEY.length + 58))
    ) {
      return 'an age identity (AGE-SECRET-KEY-…)';
    }
  }
  return undefined;
}

/** The header of a bundled checker ends at its first blank line; it gives the SHA-256 of what follows. */
const CHECKER_HEADER_END = '\n\n';
const CHECKER_HASH = /^\/\/ sha256 of the bytes after this header: ([0-9a-f]{64})$/m;

/** Whether a checker is a generated copy as its header describes it (of whichever version), not edited since. */
export function isUneditedChecker(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buffer.indexOf(CHECKER_HEADER_END);
  const hash = end === -1 ? undefined : CHECKER_HASH.exec(buffer.toString('utf8', 0, end))?.[1];
  return (
    hash !== undefined &&
    createHash('sha256')
      .update(buffer.subarray(end + CHECKER_HEADER_END.length))
      .digest('hex') === hash
  );
}

/** The package and version a checker's header names (`generator-flux-sops 0.1.0`), if it has the generated header. */
function versionOfChecker(bytes: Uint8Array): string | undefined {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('utf8');
  return /^\/\/ (\S+ \d+\.\d+\.\d+\S*):/.exec(header)?.[1];
}

/** Why the fleet's copy is not the shipped one, as far as its header tells. */
function describeCheckerDifference(fleetCopy: Uint8Array, shipped: Uint8Array): string {
  const shippedVersion = versionOfChecker(shipped) ?? 'this flux-sops';
  const fleetVersion = versionOfChecker(fleetCopy);
  if (fleetVersion === undefined) {
    return `is not the checker ${shippedVersion} ships (it has no generated header)`;
  }
  const edited = isUneditedChecker(fleetCopy)
    ? ''
    : ', and was edited after it was generated (its header hash does not match)';
  return fleetVersion === shippedVersion
    ? `differs from the checker ${shippedVersion} ships, although its header names that version${edited}`
    : `is the checker of ${fleetVersion}${edited}, not the one ${shippedVersion} ships`;
}

export interface CommittedFiles {
  /** Every file Git would commit, by POSIX path relative to the fleet root, with its bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The bytes of the checker this version ships (dist/check.cjs), when it can be read. */
  readonly shippedChecker: Uint8Array | undefined;
}

export function checkCommittedFiles({ files, shippedChecker }: CommittedFiles): Finding[] {
  const findings: Finding[] = [];
  for (const [file, bytes] of files) {
    const kind = findPrivateKeyKind(bytes);
    if (kind !== undefined) {
      findings.push(
        finding(
          file,
          'private-key',
          `holds ${kind}, and Git would commit it`,
          `delete it (or move it out of the fleet), and revoke or rotate that key if it was ever committed or ` +
            `pushed: Git history keeps it`,
        ),
      );
    }
  }
  const checker = files.get(FLEET_CHECKER_FILE);
  if (checker !== undefined && shippedChecker !== undefined && !Buffer.from(checker).equals(shippedChecker)) {
    findings.push(
      finding(
        FLEET_CHECKER_FILE,
        'checker-differs',
        `${describeCheckerDifference(checker, shippedChecker)}: CI and pre-commit run this file, so a changed copy ` +
          `can pass anything`,
        'run flux-sops (or yo flux-sops) in the fleet to write the copy of this version, and review how the other ' +
          'one got there',
      ),
    );
  }
  const codeOwners = files.get(CODEOWNERS_FILE);
  if (codeOwners !== undefined && Buffer.from(codeOwners).includes(PLACEHOLDER_CODE_OWNER)) {
    findings.push(
      finding(
        CODEOWNERS_FILE,
        'codeowners-placeholder',
        `still names the placeholder ${PLACEHOLDER_CODE_OWNER}, so nobody is asked to review changes to the checker, ` +
          `CI and .sops.yaml`,
        "flux-sops --code-owners @org/team (or set codeOwners in the answers file), then make code owners' review " +
          'required in the branch protection (README.md)',
      ),
    );
  }
  return findings;
}
