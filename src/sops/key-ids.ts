// Owns what a KMS key ARN and an age recipient look like, without the clients that use them:
// the master-key model and a checker read rules and files with these alone.

/** sops' arnRegex: the region is taken from the ARN. */
const ARN_RE = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/;

/** The region of a KMS key or alias ARN, or undefined when it is not one. */
export function kmsRegionOf(arn: string): string | undefined {
  return ARN_RE.exec(arn)?.[1];
}

/** Whether a string is a KMS key or alias ARN sops can use. */
export function isKmsArn(arn: string): boolean {
  return ARN_RE.test(arn);
}

/** Recipients this implementation can encrypt to: X25519 (`age1…`) and hybrid post-quantum (`age1pq1…`). */
export function isUsableAgeRecipient(recipient: string): boolean {
  if (recipient.startsWith('age1pq1')) return /^age1pq1[02-9ac-hj-np-z]+$/.test(recipient);
  // `age1<plugin>1…` names a plugin; sops runs it, this implementation cannot.
  return /^age1[02-9ac-hj-np-z]{58}$/.test(recipient);
}

/** The text with every age secret key shown as `AGE-SECRET-KEY-…`: an error never repeats one. */
export function withoutSecretKeys(text: string): string {
  // [1], not 1: the fleet's bundled checker carries this, and its own scan flags the prefix of a key.
  return text.replace(/AGE-SECRET-KEY-[1][0-9A-Za-z]*/gi, 'AGE-SECRET-KEY-…');
}
