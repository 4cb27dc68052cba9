// `yo flux-sops`: gathers the fleet's inputs, validates them all, then writes the planned files.
import { resolve } from 'node:path';
import Generator, { type BaseFeatures, type BaseOptions } from 'yeoman-generator';
import { readAnswersFile } from '../../answers-file.js';
import {
  type EnvironmentAnswers,
  type FleetAnswers,
  InputError,
  type RawAnswers,
  defaultKmsKeyArn,
  defaultOf,
  findAnswerWarnings,
  fleetInputs,
  invalid,
  mergeAnswers,
  optionDescription,
  perEnvironmentOptionDescription,
  perEnvironmentOptionInputs,
  readAnswersObject,
  runOptions,
  splitList,
  toStoredAnswers,
  validateAnswers,
} from '../../inputs.js';
import { STORAGE_NAME } from '../../fleet-constants.js';
import { commitAllOrNothing, isInteractive, writePlannedFiles } from '../../generator-support.js';
import { planFleet } from '../../plan.js';
import { validateKmsKeyArn, validateOidcIssuer, validateAccountId, validateRegion } from '../../validators.js';

export default class FleetGenerator extends Generator<Record<string, unknown>, BaseOptions & Record<string, unknown>> {
  private raw: RawAnswers = {};
  private answers?: FleetAnswers;
  private interactive = false;

  constructor(args?: string[], options?: BaseOptions, features?: BaseFeatures) {
    // A fleet has no npm dependencies: no package manager step, nor its log line. Writes wait
    // until every conflict question is answered (commitAllOrNothing).
    super(args, options, { ...features, unique: 'namespace', customInstallTask: true, customCommitTask: () => commitAllOrNothing(this.env) });
    this.option('answers', { type: String, description: 'YAML or JSON file with the inputs (see README)' });
    for (const input of fleetInputs) {
      this.option(input.option, { type: String, description: optionDescription(input) });
    }
    for (const input of perEnvironmentOptionInputs) {
      this.option(input.option, { type: String, description: perEnvironmentOptionDescription(input) });
    }
    for (const option of runOptions) {
      this.option(option.name, { type: Boolean, description: option.description });
    }
  }

  initializing(): void {
    this.interactive = isInteractive(this.options.interactive);
    const stored = this.config.getAll();
    const fromStorage = Object.keys(stored).length > 0 ? readAnswersObject(stored, `.yo-rc.json (${STORAGE_NAME})`) : {};
    const answersFile = this.options.answers as string | undefined;
    const fromFile = answersFile ? readAnswersFile(resolve(answersFile)) : {};
    const fromOptions: RawAnswers = {};
    for (const input of fleetInputs) {
      fromOptions[input.name] = this.options[input.option];
    }
    this.raw = mergeAnswers(fromStorage, fromFile, fromOptions);
    this.raw.environments = this.#applyPerEnvironmentOptions(this.raw.environments);
  }

  async prompting(): Promise<void> {
    if (!this.interactive) {
      return;
    }
    const missing = fleetInputs.filter((input) => this.raw[input.name] === undefined);
    if (missing.length > 0) {
      const replies = await this.prompt(
        missing.map((input) => ({
          type: 'input' as const,
          name: input.name,
          message: input.message,
          default: 'defaultText' in input ? input.defaultText : undefined,
          validate: (value: string) => {
            const parsed = input.name === 'environments' ? splitList(value) : value;
            return input.validate(parsed);
          },
        })),
      );
      this.raw = mergeAnswers(this.raw, replies);
    }
    // Environments given by option, answers file or storage come with their settings (or defaults).
    if (missing.some((input) => input.name === 'environments')) {
      await this.#promptPerEnvironment();
    }
  }

  /** Asks each prompted environment's key and OIDC issuer; other overrides come from the answers file. */
  async #promptPerEnvironment(): Promise<void> {
    const names = typeof this.raw.environments === 'string' ? splitList(this.raw.environments) : this.raw.environments;
    const region = String(this.raw.region ?? defaultOf('region'));
    const accountId = String(this.raw.accountId);
    if (!Array.isArray(names) || validateRegion(region) !== true || validateAccountId(accountId) !== true) {
      return; // validation reports it
    }
    const environments: unknown[] = [];
    for (const entry of names) {
      const environment: Record<string, unknown> = typeof entry === 'string' ? { name: entry } : { ...entry };
      if (typeof environment.name === 'string' && environment.kmsKeyArn === undefined) {
        const { kmsKeyArn, oidcIssuer } = await this.prompt([
          {
            type: 'input',
            name: 'kmsKeyArn',
            message: `KMS key ARN or alias ARN for ${environment.name}`,
            default: defaultKmsKeyArn(region, String(environment.accountId ?? accountId), environment.name),
            validate: validateKmsKeyArn,
          },
          {
            type: 'input',
            name: 'oidcIssuer',
            message: `EKS OIDC issuer of the ${environment.name} cluster (empty: a placeholder to fill in later)`,
            validate: (value: string) => value === '' || validateOidcIssuer(value),
            when: environment.oidcIssuer === undefined,
          },
        ]);
        Object.assign(environment, { kmsKeyArn }, oidcIssuer ? { oidcIssuer } : {});
      }
      environments.push(environment);
    }
    this.raw.environments = environments;
  }

  configuring(): void {
    this.answers = validateAnswers(this.raw, (name) => {
      const input = fleetInputs.find((each) => each.name === name);
      return `give --${input?.option ?? name} or ${name} in the answers file${this.interactive ? '' : ' (nothing is prompted without a terminal)'}`;
    });
    for (const warning of findAnswerWarnings(this.answers)) {
      this.log.writeln(`Warning: ${warning}`);
    }
    this.config.set(toStoredAnswers(this.answers));
  }

  writing(): void {
    if (!this.answers) {
      throw new Error('Bug: writing before configuring');
    }
    writePlannedFiles(this, planFleet(this.answers), this.interactive);
  }

  /** Folds `--kms-key-arn staging=arn:…` style options into the environments list. */
  #applyPerEnvironmentOptions(environments: unknown): unknown {
    const overrides = new Map<string, Record<string, string>>();
    const problems: string[] = [];
    for (const input of perEnvironmentOptionInputs) {
      const given = this.options[input.option];
      if (given === undefined) {
        continue;
      }
      for (const pair of splitList(String(given))) {
        const separator = pair.indexOf('=');
        if (separator <= 0) {
          problems.push(invalid(`--${input.option}`, pair, 'must be ENV=VALUE, e.g. production=arn:aws:kms:…'));
          continue;
        }
        const name = pair.slice(0, separator);
        overrides.set(name, { ...overrides.get(name), [input.name]: pair.slice(separator + 1) });
      }
    }
    if (overrides.size === 0 && problems.length === 0) {
      return environments;
    }
    const list: unknown[] = typeof environments === 'string' ? splitList(environments) : Array.isArray(environments) ? environments : splitList(defaultOf('environments') ?? '');
    const merged = list.map((entry) => {
      const environment = typeof entry === 'string' ? { name: entry } : (entry as EnvironmentAnswers);
      const override = overrides.get(environment.name);
      overrides.delete(environment.name);
      return override ? { ...environment, ...override } : entry;
    });
    for (const name of overrides.keys()) {
      problems.push(invalid('environment in a per-environment option', name, 'is not one of the environments'));
    }
    if (problems.length > 0) {
      throw new InputError(problems);
    }
    return merged;
  }
}
