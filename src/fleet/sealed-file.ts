// Whether a fleet file is SOPS-encrypted, and whether it is a generated placeholder: read from its
// text alone (pure), for the key commands and for removing an environment or a tenant.
import { parseAllDocuments } from 'yaml';
import { PLACEHOLDER_ANNOTATION, PLACEHOLDER_CIPHERTEXT } from './layout.js';

type Metadata = Record<string, unknown>;

function isMapping(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What makes a file look SOPS-encrypted: a top-level `sops` key, or a value sops encrypted. */
const LOOKS_LIKE_SOPS = /^sops\s*:|ENC\[AES256_GCM,/m;

/**
 * The `sops` metadata of a SOPS-encrypted file: a top-level `sops` mapping with a `mac`, as sops
 * writes it (in a multi-document file, the first document that has one); 'none' for any other
 * YAML file; `{ unreadable }` (why) for a file that is not YAML, or looks SOPS-encrypted (a `sops`
 * key, an `ENC[…]` value) without a complete `sops` block: truncated, or its block removed.
 */
export function sopsMetadataOf(text: string): { sops: Metadata; document: Metadata } | 'none' | { unreadable: string } {
  const documents = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(documents)) {
    return 'none'; // empty
  }
  for (const document of documents) {
    if (document.errors.length > 0) {
      return { unreadable: 'it is not valid YAML' };
    }
    let content: unknown;
    try {
      content = document.toJS({ maxAliasCount: 100 });
    } catch {
      return { unreadable: 'it expands more than 100 aliases (a file built to exhaust memory)' };
    }
    if (isMapping(content) && isMapping(content.sops) && typeof content.sops.mac === 'string') {
      return { sops: content.sops, document: content };
    }
  }
  return LOOKS_LIKE_SOPS.test(text)
    ? {
        unreadable:
          'it looks SOPS-encrypted but has no complete sops block with a mac (truncated, or its block removed)',
      }
    : 'none';
}

/** A generated `<tenant>-auth` placeholder, marked by its annotation and its placeholder MAC. */
export function isPlaceholder({ sops, document }: { sops: Metadata; document: Metadata }): boolean {
  const metadata = isMapping(document.metadata) ? document.metadata : {};
  const annotations = isMapping(metadata.annotations) ? metadata.annotations : {};
  return String(annotations[PLACEHOLDER_ANNOTATION]) === 'true' || sops.mac === PLACEHOLDER_CIPHERTEXT;
}
