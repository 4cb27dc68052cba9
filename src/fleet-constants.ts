// Facts about a generated fleet that both the planner (which writes them) and `flux-sops check`
// (which reads them back) need. A flat module without imports, so the checker can use them
// without loading the template engine.

/** SOPS encrypts only the values of these keys: metadata stays readable for kustomize and reviews. */
export const ENCRYPTED_REGEX = '^(data|stringData)$';
/** Marks the generated repo-auth Secret until `flux create secret git --export` replaces it. */
export const PLACEHOLDER_ANNOTATION = 'generator-flux-sops/placeholder';
export const PLACEHOLDER_CIPHERTEXT = 'ENC[AES256_GCM,data:PLACEHOLDER,iv:PLACEHOLDER,tag:PLACEHOLDER,type:str]';
/** The key of the stored answers in `.yo-rc.json`. */
export const STORAGE_NAME = 'generator-flux-sops';
/** Where `flux bootstrap --path=clusters/<env>` points: applied by the bootstrap Kustomization, without decryption. */
export const CLUSTERS_FOLDER = 'clusters';
/** The only place for encrypted files: `secrets/<env>/`, applied by the decrypting "secrets" Kustomization. */
export const SECRETS_FOLDER = 'secrets';
