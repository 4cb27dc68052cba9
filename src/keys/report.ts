// The lines `updatekeys` and `rotate` print: one per file (with the keys it gains and loses), a
// summary, and after a rotation the reminder of what rotating does not do. Pure: tested by text.
import { environmentOfPath } from '../fleet/layout.js';
import type { KeysRunResult } from './run.js';
import type { FilePlan, KeysCommand } from './plan.js';
import { printable, plural } from '../text.js';

function placeholderLine(path: string): string {
  const environment = environmentOfPath(path)?.environment ?? '<env>';
  const tenant = /\/([^/]+)-auth\.yaml$/.exec(path)?.[1];
  const seal =
    tenant === undefined
      ? `flux-sops secret generic ${environment} <name> …`
      : `flux-sops secret git ${environment} --tenant ${tenant}`;
  return `${printable(path)}: skipped: the generated placeholder, not a real ciphertext (seal it with ${seal})`;
}

function rewriteVerb(command: KeysCommand, dryRun: boolean): string {
  if (command === 'rotate') {
    return dryRun ? 'would get a new data key' : 'new data key, every value re-encrypted';
  }
  return dryRun ? 'would be updated' : 'updated';
}

function fileLines(command: KeysCommand, plan: FilePlan, dryRun: boolean): string[] {
  switch (plan.kind) {
    case 'placeholder':
      return [placeholderLine(plan.path)];
    case 'up-to-date':
      return [`${printable(plan.path)}: up to date`];
    case 'rewrite':
      return [
        `${printable(plan.path)}: ${rewriteVerb(command, dryRun)}`,
        ...plan.added.map((key) => `    + ${printable(key)}`),
        ...plan.removed.map((key) => `    - ${printable(key)}`),
      ];
  }
}

/** What the run did (or, in a dry run, would do), for stdout. */
export function formatReport(command: KeysCommand, result: KeysRunResult, dryRun: boolean): string {
  const { plans } = result;
  const count = (kind: FilePlan['kind']) => plans.filter((plan) => plan.kind === kind).length;
  const rewritten = count('rewrite');
  const where =
    result.environments.length === 0
      ? 'secrets/'
      : result.environments.map((environment) => `secrets/${printable(environment)}/`).join(', ');
  if (plans.length === 0) {
    return `No SOPS-encrypted files under ${where}: nothing to do.\n`;
  }
  const parts =
    command === 'rotate'
      ? [`${plural(rewritten, 'file')} ${dryRun ? 'would get' : 'got'} a new data key`]
      : [
          `${plural(rewritten, 'file')} ${dryRun ? 'would be updated' : 'updated'}`,
          `${count('up-to-date')} up to date`,
        ];
  const placeholders = count('placeholder');
  if (placeholders > 0) {
    parts.push(`${plural(placeholders, 'placeholder')} skipped`);
  }
  const tail = dryRun ? ' (dry run: nothing was written)' : '';
  return [...plans.flatMap((plan) => fileLines(command, plan, dryRun)), `${parts.join(', ')}${tail}.`, ''].join('\n');
}

/** After a rotation, for stderr: Git history still holds the old ciphertexts and their data keys. */
export const ROTATE_REMINDER = [
  'Rotation gave these files new data keys. Git history keeps the old ciphertexts, and whoever could use',
  'their master keys can still open them: after someone with access leaves, also revoke the credentials',
  'themselves and seal the new ones with flux-sops secret git|generic <env> … --force.',
  '',
].join('\n');
