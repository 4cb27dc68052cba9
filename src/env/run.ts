// `flux-sops env add <name>` and `flux-sops env remove <name>`. Adding plans once without Yeoman
// (every problem told before it loads), then runs the `env` generator. Removing reads the
// environment's files, plans with src/fleet/remove.ts, writes the edited documents all or nothing,
// deletes the files and prints the AWS clean-up (never run).
import {
  README_FILE,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  TENANT_SOPS_CONFIG,
  TENANTS_FOLDER,
} from '../fleet/layout.js';
import { readEnvironmentOptions } from '../fleet/answers.js';
import { planAddEnvironment } from '../fleet/plan.js';
import { filesToDelete, planRemoveEnvironment, removableFoldersOf, removalSummary } from '../fleet/remove.js';
import { type AddRequest, runGenerator, storedAnswersToAddTo } from '../generate/generator.js';
import { applyRemoval, type RemoveRequest } from '../generate/removal.js';
import type { Ports } from '../ports.js';

export async function addEnvironment(request: AddRequest, ports: Ports): Promise<void> {
  const { root, name, options, interactive } = request;
  const disk = ports.disk(root);
  const read = (path: string) => disk.text(path);
  planAddEnvironment(
    storedAnswersToAddTo(disk),
    name,
    readEnvironmentOptions(name, options),
    read(SOPS_CONFIG_FILE),
    read(README_FILE),
    read,
  );
  await runGenerator({ generator: 'env', root, args: [name], options, interactive }, ports);
}

export function removeEnvironment(request: RemoveRequest, ports: Ports): void {
  const { name } = request;
  const disk = ports.disk(request.root);
  const storedAnswers = disk.text(STORED_ANSWERS_FILE);
  const files = new Map<string, string>();
  // The decrypting tenants' .sops.yaml files (tenants/<tenant>.sops.yaml) lose the environment's rule too.
  const tenantConfigs = disk
    .entries(TENANTS_FOLDER)
    .filter((entry) => entry.kind === 'file' && TENANT_SOPS_CONFIG.test(`${TENANTS_FOLDER}/${entry.name}`))
    .map((entry) => `${TENANTS_FOLDER}/${entry.name}`);
  for (const path of [SOPS_CONFIG_FILE, README_FILE, ...tenantConfigs]) {
    const text = disk.text(path);
    if (text !== null) {
      files.set(path, text);
    }
  }
  // The name is checked against the stored answers before it becomes a path.
  planRemoveEnvironment(storedAnswers, name, files);
  const folders = removableFoldersOf(name);
  for (const file of disk.filesUnder(folders)) {
    files.set(file.path, file.text);
  }
  const plan = planRemoveEnvironment(storedAnswers, name, files);
  const deleted = filesToDelete(name, plan, request.force);
  const updated = plan.edits.map((edit) => edit.path);
  applyRemoval(disk, plan.edits, deleted, folders);
  ports.terminal.out(
    [
      removalSummary(`the environment ${name}`, deleted.length, plan.sealed.length, updated),
      ...plan.notes,
      '',
      `Next: git add --all ${[...folders, ...updated].join(' ')} && git commit -m "Remove the environment ${name}" ` +
        '&& git push',
      '',
      `AWS clean-up for ${name} (printed, not run):`,
      ...plan.cleanup.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
}
