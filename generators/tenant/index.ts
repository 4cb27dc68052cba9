// `yo flux-sops:tenant <name>`: adds one tenant to an existing fleet, as planned by planAddTenant:
// its folder in each of its environments, its placeholder credentials, the tenants listings, the
// README's tenants table, and its entry in `.yo-rc.json`; nothing else changes.
import type { BaseFeatures, BaseOptions } from 'yeoman-generator';
import { FluxSopsError } from '../../src/errors.js';
import { type RawAnswers, splitList } from '../../src/fleet/answers.js';
import { defaultOf } from '../../src/fleet/inputs.js';
import { DEFAULT_TENANT_PATH } from '../../src/fleet/layout.js';
import { type AddTenantPlan, planAddTenant, tenantNextSteps } from '../../src/fleet/plan.js';
import { readTenantOptions, tenantInputs, yeomanTenantInputs } from '../../src/fleet/tenants.js';
import { FluxSopsGenerator } from '../../src/yeoman/generator-support.js';
import { questionFor } from '../../src/yeoman/prompts.js';

export const TENANT_USAGE =
  'Usage: yo flux-sops:tenant <name> [options] (flux-sops tenant add <name>); ' +
  'yo flux-sops:tenant --help lists the options';

export default class TenantGenerator extends FluxSopsGenerator {
  #stored: RawAnswers = {};
  #entry: Record<string, unknown> = {};
  #plan?: AddTenantPlan;

  constructor(args?: string[], options?: BaseOptions, features?: BaseFeatures) {
    super(args, options, features);
    this.argument('name', { type: String, required: false, description: 'Name of the new tenant (a DNS-1123 label)' });
    this.declareOptions(yeomanTenantInputs);
  }

  initializing(): void {
    if (this.options.name === undefined) {
      throw new FluxSopsError('usage', `Missing the name of the tenant to add.\n${TENANT_USAGE}`);
    }
    this.#stored = this.storedFleetAnswers();
    this.#entry = readTenantOptions(this.options.name, this.options, yeomanTenantInputs);
    // Without a terminal every problem is told now, before any question.
    if (!this.interactive) {
      this.#plan = this.#planWith(this.#entry);
    }
  }

  /** Asks what no option gave, with the declared defaults. */
  async prompting(): Promise<void> {
    if (!this.interactive) {
      return;
    }
    // The defaults as they apply to this tenant; an answer equal to its default is not stored.
    const defaults: Record<string, string | boolean | undefined> = {
      repoUrl: undefined,
      namespace: String(this.options.name),
      branch: String(this.#stored.branch ?? defaultOf('branch')),
      path: DEFAULT_TENANT_PATH,
      environments: 'all',
      decryption: false,
    };
    for (const input of tenantInputs.filter(
      (each) => this.#entry[each.name] === undefined && !('structured' in each),
    )) {
      const reply = (await this.ask([questionFor(input, { default: defaults[input.name] as string | undefined })]))[
        input.name
      ];
      if (reply !== undefined && reply !== '' && reply !== defaults[input.name]) {
        this.#entry[input.name] = input.name === 'environments' ? splitList(reply) : reply;
      }
    }
  }

  configuring(): void {
    this.#plan ??= this.#planWith(this.#entry);
  }

  writing(): void {
    const plan = this.#plan as AddTenantPlan;
    this.writeAddition(plan);
    // A fleet stored with the repoUrl shorthand now lists its tenant "apps" explicitly.
    this.config.delete('repoUrl');
    this.config.set('tenants', plan.storedTenants);
  }

  end(): void {
    const plan = this.#plan as AddTenantPlan;
    for (const note of plan.notes) {
      this.log.info(note);
    }
    this.log.writeln(tenantNextSteps(plan, this.destinationRoot()));
  }

  #planWith(entry: Record<string, unknown>): AddTenantPlan {
    return planAddTenant(this.#stored, entry, (path) => this.fs.read(this.destinationPath(path), { defaults: null }));
  }
}
