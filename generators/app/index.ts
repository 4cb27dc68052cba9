// `yo flux-sops`: gathers the fleet's inputs, validates them all, then writes the planned files.
import type { BaseFeatures, BaseOptions } from 'yeoman-generator';
import { readAnswersFile } from '../../src/fleet/answers-file.js';
import {
  type FleetAnswers,
  type RawAnswers,
  environmentEntriesOf,
  findGivenAnswerWarnings,
  howToGive,
  mergeAnswers,
  type OptionAnswers,
  environmentNameOf,
  foldEnvironmentOverrides,
  parseOptionAnswers,
  readAnswersObject,
  toStoredAnswers,
  validateAnswers,
} from '../../src/fleet/answers.js';
import { fleetInputs, perEnvironmentOptionInputs } from '../../src/fleet/inputs.js';
import { STORED_ANSWERS_FILE, STORAGE_NAME } from '../../src/fleet/layout.js';
import {
  findRekeyedEnvironments,
  findRerunNotes,
  nextSteps,
  planFleet,
  planStoredFleet,
  refusePreTenantFleet,
  rekeySteps,
} from '../../src/fleet/plan.js';
import { FluxSopsGenerator, writePlannedFiles } from '../../src/yeoman/generator-support.js';
import { askTenants, environmentQuestions, questionFor } from '../../src/yeoman/prompts.js';

export default class FleetGenerator extends FluxSopsGenerator {
  #stored: RawAnswers = {};
  #raw: RawAnswers = {};
  #given: RawAnswers = {};
  #answers?: FleetAnswers;
  #overrides: OptionAnswers['overrides'] = new Map();

  constructor(args?: string[], options?: BaseOptions, features?: BaseFeatures) {
    super(args, options, features);
    this.option('answers', { type: String, description: 'YAML or JSON file with the inputs (see README)' });
    this.declareOptions(fleetInputs, perEnvironmentOptionInputs);
  }

  initializing(): void {
    const stored = this.config.getAll();
    const fromStorage =
      Object.keys(stored).length > 0 ? readAnswersObject(stored, `${STORED_ANSWERS_FILE} (${STORAGE_NAME})`) : {};
    const fromFile = typeof this.options.answers === 'string' ? readAnswersFile(this.options.answers) : {};
    const { raw: fromOptions, overrides } = parseOptionAnswers(this.options);
    this.#stored = fromStorage;
    refusePreTenantFleet(fromStorage, (path) => this.disk.exists(path));
    this.#overrides = overrides;
    this.#given = mergeAnswers(fromFile, fromOptions);
    this.#raw = mergeAnswers(fromStorage, this.#given);
    if (!this.interactive) {
      this.#foldOverrides();
    }
  }

  /**
   * Asks what no other source gave, and only that: the fleet's missing inputs, then for each
   * environment not already stored its missing settings (an ENV=VALUE option settles that one
   * setting, not the environment's other questions nor the list of environments).
   */
  async prompting(): Promise<void> {
    if (!this.interactive) {
      return;
    }
    // The tenants are asked as a list of names, then each one's repository; the single tenant
    // "apps" is the repoUrl shorthand.
    const tenantsMissing = this.#raw.tenants === undefined && this.#raw.repoUrl === undefined;
    const missing = fleetInputs.filter(
      (input) => this.#raw[input.name] === undefined && !('structured' in input) && input.name !== 'repoUrl',
    );
    if (tenantsMissing) {
      const replies = await askTenants(this.ask);
      this.#raw = mergeAnswers(this.#raw, replies);
      this.#given = mergeAnswers(this.#given, replies);
    }
    if (missing.length > 0) {
      const replies = await this.ask(missing.map((input) => questionFor(input)));
      this.#raw = mergeAnswers(this.#raw, replies);
      this.#given = mergeAnswers(this.#given, replies);
    }
    this.#foldOverrides();
    const stored = new Set(
      this.#stored.environments === undefined ? [] : environmentEntriesOf(this.#stored).map(environmentNameOf),
    );
    const environments = [];
    for (const entry of environmentEntriesOf(this.#raw)) {
      const name = environmentNameOf(entry);
      environments.push(
        stored.has(name)
          ? entry
          : await environmentQuestions(this.ask, this.#raw, entry, (warning) =>
              this.log.writeln(`Warning: ${warning}`),
            ),
      );
    }
    // #given keeps the environments as given: values typed at the prompts were warned about when entered.
    this.#raw.environments = environments;
  }

  #foldOverrides(): void {
    this.#raw = foldEnvironmentOverrides(this.#raw, this.#overrides);
    if (this.#overrides.size > 0) {
      this.#given.environments = this.#raw.environments;
    }
    this.#overrides = new Map();
  }

  configuring(): void {
    this.#answers = validateAnswers(this.#raw, howToGive(this.interactive));
    for (const warning of findGivenAnswerWarnings(this.#answers, this.#given)) {
      this.log.writeln(`Warning: ${warning}`);
    }
    for (const note of findRerunNotes(this.#stored, this.#answers)) {
      this.log.writeln(`Note: ${note}`);
    }
    this.config.set(toStoredAnswers(this.#answers));
  }

  writing(): void {
    writePlannedFiles(this, planFleet(this.#answers as FleetAnswers), this.interactive, planStoredFleet(this.#stored));
  }

  end(): void {
    const rekeyed = findRekeyedEnvironments(this.#stored, this.#answers as FleetAnswers);
    this.log.writeln(
      rekeyed.length > 0
        ? rekeySteps(this.destinationRoot(), rekeyed)
        : nextSteps(this.#answers as FleetAnswers, this.destinationRoot()),
    );
  }
}
