// One resolved environment for the IAM and Terraform tests, through the real input validation and
// planner (validateAnswers, resolveEnvironment), from the few values a scenario sets.
import { validateAnswers } from '../src/fleet/answers.js';
import { type ResolvedEnvironment, resolveEnvironment } from '../src/fleet/plan.js';

export interface EnvironmentValues {
  name: string;
  region?: string;
  accountId?: string;
  roleName?: string;
  clusterName?: string;
  identity?: 'irsa' | 'pod-identity';
  kmsKeyArn?: string;
  oidcIssuer?: string;
}

export function environmentOf({ name, region = 'eu-west-1', ...overrides }: EnvironmentValues): ResolvedEnvironment {
  const answers = validateAnswers(
    {
      accountId: '123456789012',
      repoUrl: 'https://github.com/acme/apps.git',
      region,
      environments: [{ name, ...overrides }],
    },
    (input) => `the test gives no ${input}`,
  );
  return resolveEnvironment(answers, answers.environments[0] as (typeof answers.environments)[number]);
}
