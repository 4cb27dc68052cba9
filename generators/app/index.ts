// `yo flux-sops`: gathers the fleet's inputs, validates them all, then writes the planned files.
import type { BaseFeatures, BaseOptions } from 'yeoman-generator';
import { readAnswersFile } from '../../src/fleet/answers-file.js';
import {
  type FleetAnswers,
  type RawAnswers,
  environmentEntriesOf,
  findGivenAnswerWarnings,
  howToGive,
  fleetInputs,
  mergeAnswers,
  perEnvironmentOptionInputs,
  readAnswersObject,
  readOptionAnswers,
  toStoredAnswers,
  validateAnswers,
} from '../../src/fleet/inputs.js';
import { STORED_ANSWERS_FILE, STORAGE_NAME } from '../../src/fleet/layout.js';
import { findRerunNotes, nextSteps, planFleet, planStoredFleet } from '../../src/fleet/plan.js';
import { FluxSopsGenerator, writePlannedFiles } from '../../src/yeoman/generator-support.js';
import { environmentQuestions, questionFor } from '../../src/yeoman/prompts.js';

export default class FleetGenerator extends FluxSopsGenerator {
  #stored: RawAnswers = {};
  #raw: RawAnswers = {};
  #given: RawAnswers = {};
  #answers?: FleetAnswers;
  #promptedEnvironments = false;

  constructor(args?: string[], options?: BaseOptions, features?: BaseFeatures) {
    super(args, options, features);
    this.option('answers', { type: String, description: 'YAML or JSON file with the inputs (see README)' });
    this.declareOptions(fleetInputs, perEnvironmentOptionInputs);
  }

  initializing(): void {
    const stored = this.config.getAll();
    const fromStorage = Object.keys(stored).length > 0 ? readAnswersObject(stored, `${STORED_ANSWERS_FILE} (${STORAGE_NAME})`) : {};
    const fromFile = typeof this.options.answers === 'string' ? readAnswersFile(this.options.answers) : {};
    this.#given = mergeAnswers(fromFile, readOptionAnswers(this.options, mergeAnswers(fromStorage, fromFile)));
    this.#stored = fromStorage;
    this.#raw = mergeAnswers(fromStorage, this.#given);
  }

  async prompting(): Promise<void> {
    if (!this.interactive) {
      return;
    }
    const missing = fleetInputs.filter((input) => this.#raw[input.name] === undefined);
    if (missing.length > 0) {
      const replies = await this.ask(missing.map((input) => questionFor(input)));
      this.#raw = mergeAnswers(this.#raw, replies);
      this.#given = mergeAnswers(this.#given, replies);
    }
    // Environments given by option, answers file or storage come with their settings (or defaults).
    if (missing.some((input) => input.name === 'environments')) {
      const environments = [];
      for (const entry of environmentEntriesOf(this.#raw)) {
        environments.push(await environmentQuestions(this.ask, this.#raw, entry, (warning) => this.log.writeln(`Warning: ${warning}`)));
      }
      this.#raw.environments = environments;
      this.#given.environments = environments;
      this.#promptedEnvironments = true;
    }
  }

  configuring(): void {
    this.#answers = validateAnswers(this.#raw, howToGive(this.interactive));
    // Prompted keys were warned about when entered.
    for (const warning of this.#promptedEnvironments ? [] : findGivenAnswerWarnings(this.#answers, this.#given)) {
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
    this.log.writeln(nextSteps(this.#answers as FleetAnswers, this.destinationRoot()));
  }
}
