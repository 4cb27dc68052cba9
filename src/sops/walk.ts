// Owns sops' tree walk (sops.go): which leaves are encrypted (suffix/regex/comment selectors), the
// path each is encrypted under, and the MAC over the values in document order.

import { createHash } from 'node:crypto';
import { decryptValue, encryptValue } from './cipher.js';
import { type SopsErrorCode, SopsError, isSopsError } from './errors.js';
import { compileRe2, type Re2Pattern } from './regex.js';
import { Comment, type Scalar, TreeBranch, type TreeValue, toBytes } from './tree.js';

export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

/**
 * sops' MACOnlyEncryptedInitialization: sha256("sops"), fed first when only encrypted values are
 * in the MAC, so that such a MAC never equals one over all values.
 */
const MAC_ONLY_ENCRYPTED_INITIALIZATION = createHash('sha256').update('sops').digest();

/** The selectors of a file's `sops` block (or of a creation rule); at most one may be set. */
export interface CryptRules {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
  macOnlyEncrypted?: boolean;
}

interface CompiledRules {
  unencryptedSuffix: string;
  encryptedSuffix: string;
  unencryptedRegex?: Re2Pattern;
  encryptedRegex?: Re2Pattern;
  unencryptedCommentRegex?: Re2Pattern;
  encryptedCommentRegex?: Re2Pattern;
  macOnlyEncrypted: boolean;
}

function compileRules(rules: CryptRules): CompiledRules {
  const re = (p: string | undefined) => (p ? compileRe2(p) : undefined);
  return {
    unencryptedSuffix: rules.unencryptedSuffix ?? '',
    encryptedSuffix: rules.encryptedSuffix ?? '',
    unencryptedRegex: re(rules.unencryptedRegex),
    encryptedRegex: re(rules.encryptedRegex),
    unencryptedCommentRegex: re(rules.unencryptedCommentRegex),
    encryptedCommentRegex: re(rules.encryptedCommentRegex),
    macOnlyEncrypted: rules.macOnlyEncrypted ?? false,
  };
}

/** sops' Tree.shouldBeEncrypted, rule for rule and in the same order (the last rule set wins). */
function shouldBeEncrypted(
  rules: CompiledRules,
  path: string[],
  commentsStack: string[][],
  isComment: boolean,
): boolean {
  let encrypted = true;
  if (rules.unencryptedSuffix !== '') {
    if (path.some((p) => p.endsWith(rules.unencryptedSuffix))) encrypted = false;
  }
  if (rules.encryptedSuffix !== '') {
    encrypted = path.some((p) => p.endsWith(rules.encryptedSuffix));
  }
  if (rules.unencryptedRegex) {
    const re = rules.unencryptedRegex;
    if (path.some((p) => re.test(p))) encrypted = false;
  }
  if (rules.encryptedRegex) {
    const re = rules.encryptedRegex;
    encrypted = path.some((p) => re.test(p));
  }
  if (rules.unencryptedCommentRegex) {
    const re = rules.unencryptedCommentRegex;
    if (commentsStack.some((cs) => cs.some((c) => re.test(c)))) encrypted = false;
  }
  if (rules.encryptedCommentRegex) {
    const re = rules.encryptedCommentRegex;
    const last = commentsStack.length - 1;
    const lastLen = commentsStack[last]?.length ?? 0;
    encrypted = false;
    outer: for (let i = 0; i < commentsStack.length; i++) {
      const cs = commentsStack[i]!;
      for (let j = 0; j < cs.length; j++) {
        // The comment line that matches is not itself encrypted, only what follows it.
        if (isComment && i === last && j === lastLen - 1) continue;
        if (re.test(cs[j]!)) {
          encrypted = true;
          break outer;
        }
      }
    }
  }
  return encrypted;
}

type Leaf = Scalar | Comment;
type OnLeaf = (value: Leaf, path: string[], commentsStack: string[][]) => Leaf;

/** Where a walk failed: the path of keys, never a value. */
function walkError(code: SopsErrorCode, message: string, path: string[]): SopsError {
  return new SopsError(code, path.length > 0 ? `${message} (at ${path.join(':')})` : message);
}

function walkValue(value: TreeValue, path: string[], stack: string[][], onLeaf: OnLeaf): TreeValue {
  if (value === null) return null;
  if (value instanceof TreeBranch) return walkBranch(value, path, stack, onLeaf);
  if (Array.isArray(value)) return walkSlice(value, path, stack, onLeaf);
  return onLeaf(value, path, stack);
}

function walkSlice(values: TreeValue[], path: string[], parentStack: string[][], onLeaf: OnLeaf): TreeValue[] {
  const stack = [...parentStack, [] as string[]];
  const out: TreeValue[] = [];
  for (const v of values) {
    const isComment = v instanceof Comment;
    if (isComment) stack[stack.length - 1] = [...stack[stack.length - 1]!, v.value];
    let next = walkValue(v, path, stack, onLeaf);
    // sops puts the encrypted text of a comment in a list back as a string, which turns it into a
    // list item and breaks the file's MAC; it stays a comment here.
    if (isComment && typeof next === 'string') next = new Comment(next, v.inline);
    out.push(next);
    if (!isComment) stack[stack.length - 1] = [];
  }
  return out;
}

function walkBranch(branch: TreeBranch, path: string[], parentStack: string[][], onLeaf: OnLeaf): TreeBranch {
  const stack = [...parentStack, [] as string[]];
  const items = [];
  for (const item of branch.items) {
    if (item.key instanceof Comment) {
      const c = item.key;
      stack[stack.length - 1] = [...stack[stack.length - 1]!, c.value];
      const enc = walkValue(c, path, stack, onLeaf);
      if (enc instanceof Comment) items.push({ key: enc, value: item.value });
      else if (typeof enc === 'string') items.push({ key: new Comment(enc, c.inline), value: item.value });
      else throw walkError('internal', 'a comment walked to something else than a comment or a string', path);
      continue;
    }
    const valueIsComment = item.value instanceof Comment;
    if (item.value instanceof Comment) stack[stack.length - 1] = [...stack[stack.length - 1]!, item.value.value];
    const value = walkValue(item.value, [...path, item.key], stack, onLeaf);
    items.push({ key: item.key, value });
    if (!valueIsComment) stack[stack.length - 1] = [];
  }
  return new TreeBranch(items);
}

function pathString(path: string[]): string {
  return `${path.join(':')}:`;
}

/** The result of a walk: the new documents and the MAC (upper-case hex SHA-512) over their values. */
export interface WalkResult {
  branches: TreeBranch[];
  mac: string;
}

/** sops' Tree.Encrypt: encrypts the selected leaves of every document and computes the MAC over the plain values. */
export function encryptBranches(branches: TreeBranch[], dataKey: Uint8Array, rules: CryptRules): WalkResult {
  const compiled = compileRules(rules);
  const hash = createHash('sha512');
  if (compiled.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INITIALIZATION);
  const out = branches.map((branch) =>
    walkBranch(branch, [], [], (value, path, stack) => {
      const isComment = value instanceof Comment;
      const encrypted = shouldBeEncrypted(compiled, path, stack, isComment);
      if ((!compiled.macOnlyEncrypted || encrypted) && !isComment) hash.update(toBytes(value));
      if (!encrypted) return value;
      let enc: string;
      try {
        enc = encryptValue(value, dataKey, pathString(path));
      } catch (error) {
        throw walkError('error-encrypting-tree', `Could not encrypt value: ${(error as Error).message}`, path);
      }
      if (isComment && compiled.unencryptedCommentRegex?.test(enc)) {
        throw walkError(
          'invalid-selector',
          'an encrypted comment matches unencrypted_comment_regex; choose a regex that cannot match an encrypted ' +
            'comment',
          path,
        );
      }
      return enc;
    }),
  );
  return { branches: out, mac: hash.digest('hex').toUpperCase() };
}

/**
 * sops' Tree.Decrypt: decrypts the selected leaves and computes the MAC over the decrypted values.
 * An encrypted comment that does not decrypt is left as it is (sops only warns).
 */
export function decryptBranches(branches: TreeBranch[], dataKey: Uint8Array, rules: CryptRules): WalkResult {
  const compiled = compileRules(rules);
  const hash = createHash('sha512');
  if (compiled.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INITIALIZATION);
  const out = branches.map((branch) =>
    walkBranch(branch, [], [], (value, path, stack) => {
      const isComment = value instanceof Comment;
      const encrypted = shouldBeEncrypted(compiled, path, stack, isComment);
      let plain: Leaf = value;
      if (encrypted) {
        if (value instanceof Comment) {
          try {
            plain = decryptValue(value.value, dataKey, pathString(path));
          } catch {
            plain = value;
          }
        } else if (typeof value === 'string') {
          try {
            plain = decryptValue(value, dataKey, pathString(path));
          } catch (error) {
            const reason = isSopsError(error) ? error.message : 'unexpected error';
            throw walkError('error-decrypting-tree', `Could not decrypt value: ${reason}`, path);
          }
        } else {
          throw walkError(
            'error-decrypting-tree',
            'Expected an encrypted value (a string), but found a plain one',
            path,
          );
        }
      }
      if ((!compiled.macOnlyEncrypted || encrypted) && !isComment) hash.update(toBytes(plain));
      return plain;
    }),
  );
  return { branches: out, mac: hash.digest('hex').toUpperCase() };
}
