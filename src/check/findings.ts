// What `flux-sops check` reports: the table of its rules (each with a severity and what it finds;
// `--help` and the README list them from here), the finding every rule produces, and how
// findings are ordered and turned into an exit status.

export type Severity = 'error' | 'pending' | 'warning';

/** Every rule the check applies, with its severity. */
export const checkRules = {
  'unencrypted-secret': {
    severity: 'error',
    description:
      'a Secret (also inside a List, or a kustomize secretGenerator literal) whose data or stringData is not ' +
      'SOPS-encrypted',
  },
  'invalid-sops-metadata': {
    severity: 'error',
    description: 'a sops block without mac or without any key: nothing can decrypt the document',
  },
  'wrong-master-keys': {
    severity: 'error',
    description:
      'an encrypted file whose master keys (KMS ARNs, age recipients) differ from those of the first .sops.yaml rule ' +
      'matching its path',
  },
  'no-creation-rule': {
    severity: 'error',
    description: 'an encrypted file whose path matches no .sops.yaml creation rule',
  },
  'not-decrypted': {
    severity: 'error',
    description:
      'an encrypted file under no path of a Flux Kustomization with decryption.provider: sops (clusters/ is applied ' +
      'by the bootstrap Kustomization, which does not decrypt)',
  },
  'not-applied': {
    severity: 'error',
    description:
      "an encrypted file under a decrypting Kustomization's path that its kustomization.yaml does not list (directly " +
      'or through a kustomization it lists)',
  },
  'kustomization-without-decryption': {
    severity: 'error',
    description:
      'a Flux Kustomization reading this repository whose path holds encrypted files, without decryption.provider: ' +
      'sops',
  },
  'placeholder-listed': {
    severity: 'error',
    description:
      "a generated placeholder listed in a kustomization.yaml's resources (kustomize-controller would fail the whole " +
      'Kustomization)',
  },
  'unanchored-rule': {
    severity: 'error',
    description: 'a .sops.yaml creation rule whose path_regex is missing or not anchored with ^…$',
  },
  'shadowed-rule': {
    severity: 'error',
    description: 'a .sops.yaml creation rule that an earlier rule shadows for some path (sops uses the first match)',
  },
  'missing-rule': {
    severity: 'error',
    description:
      'an environment (a folder under secrets/, or one in the stored answers) that no .sops.yaml rule covers',
  },
  'invalid-rule': {
    severity: 'error',
    description:
      'a .sops.yaml creation rule that is not a mapping, or whose path_regex is not a valid regular expression',
  },
  'private-key': {
    severity: 'error',
    description:
      'a file Git would commit (any file: text or binary) holding a PEM or OpenSSH private key or an age identity',
  },
  'checker-differs': {
    severity: 'error',
    description:
      '.flux-sops/check.cjs differs from the checker this version of flux-sops ships (CI and pre-commit run it)',
  },
  'lockdown-missing': {
    severity: 'error',
    description:
      "an environment's flux-system/kustomization.yaml without Flux's multi-tenancy lockdown patches " +
      "(--no-cross-namespace-refs, --no-remote-bases, --default-service-account, the bootstrap Kustomization's " +
      'serviceAccountName)',
  },
  'decryption-lock-missing': {
    severity: 'error',
    description:
      "an environment without a decryption lock: neither kustomize-controller's object-level decryption flags (IRSA) " +
      'nor the admission policy in clusters/<env>/ (EKS Pod Identity)',
  },
  'sops-age-secret': {
    severity: 'error',
    description:
      '--sops-age-secret set on kustomize-controller: a cluster-wide age identity for every Kustomization without a ' +
      'decryption secretRef',
  },
  'no-service-account': {
    severity: 'error',
    description: 'a Flux Kustomization or HelmRelease outside flux-system without spec.serviceAccountName',
  },
  'cross-namespace-source': {
    severity: 'error',
    description: 'a Flux Kustomization or HelmRelease whose source reference names another namespace (dependsOn may)',
  },
  'decryption-without-service-account': {
    severity: 'error',
    description:
      'a Flux Kustomization outside flux-system with decryption.provider: sops and no decryption.serviceAccountName ' +
      "(it would decrypt with the controller's identity, or fail on the lock)",
  },
  'tenant-key-shared': {
    severity: 'error',
    description:
      "a decrypting tenant's KMS key in a rule of the fleet's .sops.yaml, or a fleet key in a rule of a tenant's " +
      'tenants/<tenant>.sops.yaml',
  },
  'secret-namespace-not-created': {
    severity: 'error',
    description: 'a Secret under secrets/<env>/ sealed for a namespace the fleet does not create in that environment',
  },
  placeholder: {
    severity: 'pending',
    description: 'a generated placeholder Secret not yet replaced (an error with --strict)',
  },
  'oidc-placeholder': {
    severity: 'pending',
    description: 'an IAM trust policy that still names the placeholder OIDC issuer ID (an error with --strict)',
  },
  'codeowners-placeholder': {
    severity: 'pending',
    description: '.github/CODEOWNERS still names the placeholder instead of the codeOwners (an error with --strict)',
  },
  'nested-fleet': {
    severity: 'error',
    description:
      'a .yo-rc.json with generator-flux-sops answers below the root: a fleet inside the fleet, which the commands ' +
      'run there would change instead of this one',
  },
  'nested-sops-config': {
    severity: 'warning',
    description: 'a .sops.yaml below the root: sops run from that folder ignores the root rules',
  },
  'unparsable-secret': {
    severity: 'error',
    description:
      'a file holding kind: Secret that does not parse, so it cannot be shown to be encrypted (kubectl may still ' +
      'apply it)',
  },
  'pathological-file': {
    severity: 'error',
    description:
      'a file built to stall or crash a reader: larger than 4 MiB, aliases expanding to more than 10,000 copies, or ' +
      'nested more than 1,000 levels',
  },
  'leftover-temporary': {
    severity: 'warning',
    description: 'a temporary file (.*.flux-sops-*) an interrupted run left; the next writing command removes it',
  },
  'unparsable-file': {
    severity: 'warning',
    description: 'a YAML or JSON file that does not parse, so it could not be checked',
  },
} as const satisfies Record<string, { severity: Severity; description: string }>;

export type CheckRule = keyof typeof checkRules;

export interface Finding {
  /** POSIX path relative to the folder of `.sops.yaml`. */
  readonly file: string;
  readonly rule: CheckRule;
  readonly severity: Severity;
  /** What is wrong: names files, objects, keys, rules and master keys, never a value. */
  readonly message: string;
  /** The command or edit that resolves it. */
  readonly fix: string;
}

export function finding(file: string, rule: CheckRule, message: string, fix: string): Finding {
  return { file, rule, severity: checkRules[rule].severity, message, fix };
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, pending: 2 };

/** Code-point order: the same on every machine, whatever its locale. */
function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

export function compareFindings(left: Finding, right: Finding): number {
  return (
    SEVERITY_ORDER[left.severity] - SEVERITY_ORDER[right.severity] ||
    compareText(left.file, right.file) ||
    compareText(left.rule, right.rule) ||
    compareText(left.message, right.message)
  );
}

/** `--strict`: placeholders not yet replaced count as errors. */
export function applyStrictness(findings: readonly Finding[], strict: boolean): Finding[] {
  return findings
    .map((each): Finding => (strict && each.severity === 'pending' ? { ...each, severity: 'error' } : each))
    .sort(compareFindings);
}

export function exitStatusFor(findings: readonly Finding[]): 0 | 1 {
  return findings.some((each) => each.severity === 'error') ? 1 : 0;
}
