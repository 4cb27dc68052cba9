// Owns how a YAML scalar's text becomes a value, as go.yaml.in/yaml/v3 v3.0.4 decides it
// (resolve.go): YAML 1.2 booleans, Go's integer syntax, timestamps, and when a string must be
// quoted.

import { SopsError } from '../errors.js';
import { GoFloat, GoTime, INT64_MAX, INT64_MIN, type Scalar, formatGoTime } from '../tree.js';

export type ResolvedTag = '!!str' | '!!int' | '!!float' | '!!bool' | '!!null' | '!!timestamp' | '!!merge' | '!!binary';

const UINT64_MAX = 2n ** 64n - 1n;

const RESOLVE_MAP = new Map<string, { tag: ResolvedTag; value: Scalar }>();
for (const s of ['true', 'True', 'TRUE']) RESOLVE_MAP.set(s, { tag: '!!bool', value: true });
for (const s of ['false', 'False', 'FALSE']) RESOLVE_MAP.set(s, { tag: '!!bool', value: false });
for (const s of ['', '~', 'null', 'Null', 'NULL']) RESOLVE_MAP.set(s, { tag: '!!null', value: null });
for (const s of ['.nan', '.NaN', '.NAN']) RESOLVE_MAP.set(s, { tag: '!!float', value: new GoFloat(NaN) });
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
  RESOLVE_MAP.set(s, { tag: '!!float', value: new GoFloat(Infinity) });
for (const s of ['-.inf', '-.Inf', '-.INF']) RESOLVE_MAP.set(s, { tag: '!!float', value: new GoFloat(-Infinity) });
RESOLVE_MAP.set('<<', { tag: '!!merge', value: '<<' });

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function hint(s: string): 'N' | 'S' | 'D' | 'M' | '.' | '' {
  if (s === '') return 'N';
  const c = s[0]!;
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  return '';
}

/** An int as the tree keeps it: number when exact, bigint beyond 2^53. */
function intValue(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Go's strconv.ParseInt(s, base 0 or given, 64) / ParseUint: sign (ParseInt only), base prefix, digits. */
function parseGoInteger(s: string, base: 0 | 2 | 8, signed: boolean): bigint | undefined {
  let rest = s;
  let neg = false;
  if (signed && (rest.startsWith('+') || rest.startsWith('-'))) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  let radix = base === 0 ? 10 : base;
  if (base === 0 && rest.length > 1 && rest[0] === '0') {
    const p = rest[1]!.toLowerCase();
    if (p === 'x') {
      radix = 16;
      rest = rest.slice(2);
    } else if (p === 'o') {
      radix = 8;
      rest = rest.slice(2);
    } else if (p === 'b') {
      radix = 2;
      rest = rest.slice(2);
    } else {
      radix = 8;
      rest = rest.slice(1);
    }
  }
  if (rest === '') return undefined;
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!digits.test(rest)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[radix as 2 | 8 | 10 | 16];
  let n = BigInt(prefix + rest);
  if (neg) n = -n;
  if (signed ? n < INT64_MIN || n > INT64_MAX : n > UINT64_MAX) return undefined;
  return n;
}

/** Go's strconv.ParseFloat(s, 64) for the decimal syntax (the only one that reaches it here). */
function parseGoFloat(s: string): number | undefined {
  if (!/^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** yaml.v3's parseTimestamp: the four layouts it accepts, each with Go's time.Parse leniency on field widths. */
export function parseYamlTimestamp(s: string): GoTime | undefined {
  if (!/^[0-9]{4}-/.test(s)) return undefined;
  const n = '(\\d{1,2})';
  const frac = '(?:[.,](\\d+))?';
  const layouts: RegExp[] = [
    new RegExp(`^(\\d{4})-${n}-${n}T${n}:${n}:${n}${frac}(Z|[+-]\\d{2}:\\d{2})$`),
    new RegExp(`^(\\d{4})-${n}-${n}t${n}:${n}:${n}${frac}(Z|[+-]\\d{2}:\\d{2})$`),
    new RegExp(`^(\\d{4})-${n}-${n} ${n}:${n}:${n}${frac}()$`),
    /^(\d{4})-(\d{1,2})-(\d{1,2})()()()()()$/,
  ];
  for (const re of layouts) {
    const m = re.exec(s);
    if (!m) continue;
    const f = m.slice(1, 7).map((x) => (x === '' || x === undefined ? 0 : Number(x))) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const zone = m[8] ? m[8] : 'Z';
    if (zone !== 'Z') {
      const [hh, mm] = zone.slice(1).split(':').map(Number) as [number, number];
      if (hh > 24 || mm > 60) continue;
    }
    try {
      return new GoTime(formatGoTime(f, m[7] ?? '', zone));
    } catch {
      continue;
    }
  }
  return undefined;
}

/** yaml.v3's resolve(tag, in) for a plain scalar or an explicitly tagged one. */
export function resolveScalar(tag: string, text: string): { tag: string; value: Scalar } {
  const resolvable = ['', '!!str', '!!bool', '!!int', '!!float', '!!null', '!!timestamp'].includes(tag);
  if (!resolvable) return { tag, value: text };
  const result = resolveUntagged(tag, text);
  if (tag === '' || tag === result.tag || tag === '!!str') {
    return tag === '!!str' ? { tag: '!!str', value: text } : result;
  }
  if (tag === '!!float' && result.tag === '!!int') {
    const v = result.value;
    return { tag: '!!float', value: new GoFloat(Number(v)) };
  }
  // The value is not quoted: it may be a secret in a file being sealed or re-keyed.
  throw new SopsError('unreadable-file', `cannot decode a ${result.tag} value as a ${tag}`);
}

function resolveUntagged(tag: string, text: string): { tag: ResolvedTag; value: Scalar } {
  const h = hint(text);
  if (h !== '' && tag !== '!!str') {
    const known = RESOLVE_MAP.get(text);
    if (known) return known;
    if (h === '.') {
      if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text)) {
        const f = parseGoFloat(text);
        if (f !== undefined) return { tag: '!!float', value: new GoFloat(f) };
      }
    } else if (h === 'D' || h === 'S') {
      if (tag === '' || tag === '!!timestamp') {
        const t = parseYamlTimestamp(text);
        if (t) return { tag: '!!timestamp', value: t };
      }
      const plain = text.replace(/_/g, '');
      const i = parseGoInteger(plain, 0, true);
      if (i !== undefined) return { tag: '!!int', value: intValue(i) };
      const u = parseGoInteger(plain, 0, false);
      if (u !== undefined) return { tag: '!!int', value: u };
      if (YAML_STYLE_FLOAT.test(plain)) {
        const f = parseGoFloat(plain);
        if (f !== undefined) return { tag: '!!float', value: new GoFloat(f) };
      }
      if (plain.startsWith('0b')) {
        const b = parseGoInteger(plain.slice(2), 2, true) ?? parseGoInteger(plain.slice(2), 2, false);
        if (b !== undefined) return { tag: '!!int', value: intValue(b) };
      } else if (plain.startsWith('-0b')) {
        const b = parseGoInteger(`-${plain.slice(3)}`, 2, true);
        if (b !== undefined) return { tag: '!!int', value: intValue(b) };
      }
      if (plain.startsWith('0o')) {
        const o = parseGoInteger(plain.slice(2), 8, true) ?? parseGoInteger(plain.slice(2), 8, false);
        if (o !== undefined) return { tag: '!!int', value: intValue(o) };
      } else if (plain.startsWith('-0o')) {
        const o = parseGoInteger(`-${plain.slice(3)}`, 8, true);
        if (o !== undefined) return { tag: '!!int', value: intValue(o) };
      }
    }
  }
  return { tag: '!!str', value: text };
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function isBase60Float(s: string): boolean {
  if (s === '') return false;
  const c = s[0]!;
  if (!(c === '+' || c === '-' || (c >= '0' && c <= '9')) || !s.includes(':')) return false;
  return BASE60_FLOAT.test(s);
}

function isOldBool(s: string): boolean {
  return ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].includes(s);
}

/** yaml.v3's stringv test: may this string be written plain, or would it read back as something else? */
export function canUsePlain(s: string): boolean {
  return resolveUntagged('', s).tag === '!!str' && !(isBase60Float(s) || isOldBool(s));
}
