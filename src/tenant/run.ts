// `flux-sops tenant add <name>` and `flux-sops tenant remove <name>`. Adding plans once without
// Yeoman (every problem told before it loads), then runs the `tenant` generator. Removing plans
// with src/fleet/remove.ts, writes the edited documents all or nothing, deletes the tenant's files
// and prints what is left to do outside Git.
import { STORED_ANSWERS_FILE } from '../fleet/layout.js';
import { planAddTenant } from '../fleet/plan.js';
import { filesToDelete, planRemoveTenant, removalSummary } from '../fleet/remove.js';
import { readTenantOptions } from '../fleet/tenants.js';
import { type AddRequest, runGenerator, storedAnswersToAddTo } from '../generate/generator.js';
import { applyRemoval, type RemoveRequest } from '../generate/removal.js';
import type { Ports } from '../ports.js';

export async function addTenant(request: AddRequest, ports: Ports): Promise<void> {
  const { root, name, options, interactive } = request;
  const disk = ports.disk(root);
  const stored = storedAnswersToAddTo(disk);
  const entry = readTenantOptions(name, options);
  // Interactive runs ask for a missing repoUrl: what can be checked without it is checked now.
  if (entry.repoUrl !== undefined || !interactive) {
    planAddTenant(stored, entry, (path) => disk.text(path));
  }
  // Yeoman owns --namespace: the generator takes the tenant's as --tenant-namespace.
  const { namespace, ...generatorOptions } = options;
  await runGenerator(
    {
      generator: 'tenant',
      root,
      args: [name],
      options: { ...generatorOptions, ...(namespace === undefined ? {} : { 'tenant-namespace': namespace }) },
      interactive,
    },
    ports,
  );
}

export function removeTenant(request: RemoveRequest, ports: Ports): void {
  const { name } = request;
  const disk = ports.disk(request.root);
  // The name is checked against the stored answers before any path is made of it.
  const plan = planRemoveTenant(disk.text(STORED_ANSWERS_FILE), name, (path) => disk.text(path));
  const deleted = filesToDelete(`The tenant ${name}`, plan, request.force);
  const updated = plan.edits.map((edit) => edit.path);
  applyRemoval(disk, plan.edits, deleted, plan.folders);
  const left = plan.folders.flatMap((folder) => disk.entries(folder).map((entry) => `${folder}/${entry.name}`));
  const staged = [
    ...plan.folders,
    ...deleted.filter((path) => !plan.folders.some((folder) => path.startsWith(`${folder}/`))),
    ...updated,
  ];
  ports.terminal.out(
    [
      removalSummary(`the tenant ${name}`, deleted.length, plan.sealed.length, updated),
      ...plan.notes,
      ...(left.length > 0 ? [`Left in place, not written by flux-sops: ${left.join(', ')}.`] : []),
      '',
      `Next: flux-sops check && git add --all ${staged.join(' ')} && git commit -m "Remove the tenant ${name}" ` +
        '&& git push',
      '',
      `Clean-up for ${name} (printed, not run):`,
      ...plan.cleanup.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
}
