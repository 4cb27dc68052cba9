// The `v1` Secret as it is sealed: built in memory from validated entries, never written as it is.
import { type PlacedValue, type SecretEntry, placeValue } from './values.js';

export interface SecretManifest {
  readonly name: string;
  readonly namespace: string;
  /** Every value in the order given, each in `stringData` (text) or `data` (base64). */
  readonly values: readonly PlacedValue[];
}

/**
 * The Secret of `entries`: text in `stringData`, binary content base64 in `data`, as
 * `kubectl create secret generic --from-file` sorts them. Type Opaque, as `flux create secret
 * git` writes the GitRepository's Secret.
 */
export function buildSecretManifest(name: string, namespace: string, entries: readonly SecretEntry[]): SecretManifest {
  return { name, namespace, values: entries.map(placeValue) };
}

/** The keys of the Secret, for messages (never the values). */
export function keysOf(manifest: SecretManifest): string[] {
  return manifest.values.map((value) => value.key);
}

/**
 * The Secret as a Kubernetes object, its maps kept in the order given (a JavaScript object
 * would move integer-like keys such as "1" first).
 */
export function secretObject(manifest: SecretManifest): Map<string, unknown> {
  const field = (which: PlacedValue['field']) =>
    new Map(manifest.values.filter((each) => each.field === which).map((each) => [each.key, each.value]));
  const stringData = field('stringData');
  const data = field('data');
  return new Map<string, unknown>([
    ['apiVersion', 'v1'],
    ['kind', 'Secret'],
    [
      'metadata',
      new Map([
        ['name', manifest.name],
        ['namespace', manifest.namespace],
      ]),
    ],
    ['type', 'Opaque'],
    ...(stringData.size > 0 ? [['stringData', stringData] as const] : []),
    ...(data.size > 0 ? [['data', data] as const] : []),
  ]);
}
