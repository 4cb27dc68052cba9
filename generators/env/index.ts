// `yo flux-sops:env <name>`: adds one environment to an existing fleet, as planned by
// planAddEnvironment: the new environment's files, its rule in `.sops.yaml`, its README section,
// and its entry in `.yo-rc.json`; nothing else changes.
import type { BaseFeatures, BaseOptions } from 'yeoman-generator';
import { FluxSopsError } from '../../src/errors.js';
import { type RawAnswers, readEnvironmentOptions } from '../../src/fleet/answers.js';
import { environmentInputs } from '../../src/fleet/inputs.js';
import { README_FILE, SOPS_CONFIG_FILE } from '../../src/fleet/layout.js';
import { type AddEnvironmentPlan, nextSteps, planAddEnvironment } from '../../src/fleet/plan.js';
import { FluxSopsGenerator } from '../../src/yeoman/generator-support.js';
import { environmentQuestions } from '../../src/yeoman/prompts.js';

export const ENV_USAGE =
  'Usage: yo flux-sops:env <name> [options] (flux-sops env <name>); yo flux-sops:env --help lists the options';

export default class EnvironmentGenerator extends FluxSopsGenerator {
  #stored: RawAnswers = {};
  #overrides: Record<string, unknown> = {};
  #plan?: AddEnvironmentPlan;

  constructor(args?: string[], options?: BaseOptions, features?: BaseFeatures) {
    super(args, options, features);
    // Not `required`: Yeoman's own error for a missing argument says nothing of the usage.
    this.argument('name', {
      type: String,
      required: false,
      description: 'Name of the new environment (a DNS-1123 label)',
    });
    this.declareOptions(environmentInputs);
  }

  initializing(): void {
    if (this.options.name === undefined) {
      throw new FluxSopsError('usage', `Missing the name of the environment to add.\n${ENV_USAGE}`);
    }
    this.#stored = this.storedFleetAnswers();
    this.#overrides = readEnvironmentOptions(this.options.name, this.options);
    // Fails early on a bad name or a stored fleet that does not validate, before any question.
    this.#planWith(this.#overrides);
  }

  /** Asks, for the new environment only, what no option gave; defaults come from the stored fleet. */
  async prompting(): Promise<void> {
    if (this.interactive) {
      const entry = await environmentQuestions(
        this.ask,
        this.#stored,
        { name: this.options.name, ...this.#overrides },
        (warning) => this.log.writeln(`Warning: ${warning}`),
      );
      const { name: _name, ...overrides } = entry as Record<string, unknown>;
      this.#overrides = overrides;
    }
  }

  configuring(): void {
    const plan = this.#planWith(this.#overrides);
    // A prompted key was warned about when entered; one given as an option is warned about here.
    if (!this.interactive || this.options['kms-key-arn'] !== undefined) {
      for (const warning of plan.warnings) {
        this.log.writeln(`Warning: ${warning}`);
      }
    }
    this.#plan = plan;
  }

  writing(): void {
    const plan = this.#plan as AddEnvironmentPlan;
    this.writeAddition(plan);
    this.config.set('environments', plan.storedEnvironments);
  }

  end(): void {
    const plan = this.#plan as AddEnvironmentPlan;
    for (const note of plan.notes) {
      this.log.info(note);
    }
    this.log.writeln(nextSteps(plan.answers, this.destinationRoot(), plan.environment.name));
  }

  #planWith(overrides: Record<string, unknown>): AddEnvironmentPlan {
    const read = (path: string) => this.fs.read(this.destinationPath(path), { defaults: null });
    return planAddEnvironment(
      this.#stored,
      this.options.name,
      overrides,
      read(SOPS_CONFIG_FILE),
      read(README_FILE),
      read,
    );
  }
}
