/**
 * Conditions evaluated in process, with DynamoDB's semantics (the in-memory store uses this; the
 * DynamoDB store translates the same `Condition` to a ConditionExpression). The conformance suite
 * holds the two to the same answers.
 */
import { validateAttrName, validateAttrValue } from './item';
import { StateStoreError, type AttrValue, type CompareOp, type Condition, type StoreItem } from './types';

const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=']);
const ORDERING_OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

/**
 * Compares strings by Unicode code point, which is DynamoDB's UTF-8 byte order. JavaScript's `<`
 * compares UTF-16 code units, which differs only where a surrogate pair meets U+E000-U+FFFF; for
 * those two ranges the units are shifted so that surrogates sort last.
 * @example compareStrings('\uFFFD', '😀') < 0 // though '\uFFFD' > '😀' by code units
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** `a op b` with DynamoDB's typing: values of different types are only ever `<>`. */
export function compareValues(a: AttrValue, op: CompareOp, b: AttrValue): boolean {
  if (typeof a !== typeof b) return op === '<>';
  if (op === '=') return a === b;
  if (op === '<>') return a !== b;
  if (typeof a === 'boolean') return false;
  const c = typeof a === 'string' ? compareStrings(a, b as string) : a - (b as number);
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Throws a `StateStoreError` unless `condition` is well formed (see `Condition`). */
export function validateCondition(condition: Condition): void {
  const c = condition as Record<string, unknown>;
  if (typeof c !== 'object' || c === null) throw malformed(condition);
  if ('and' in c || 'or' in c) {
    const parts = 'and' in c ? c.and : c.or;
    if (!Array.isArray(parts)) throw malformed(condition);
    parts.forEach((p) => validateCondition(p as Condition));
  } else if ('notExists' in c) {
    if (c.notExists !== true) throw malformed(condition);
  } else if ('attrNotExists' in c) {
    validateAttrName(c.attrNotExists as string);
  } else if ('attr' in c) {
    validateAttrName(c.attr as string);
    if (!COMPARE_OPS.has(c.op as string)) throw malformed(condition);
    validateAttrValue(c.attr as string, c.value);
    if (ORDERING_OPS.has(c.op as string) && typeof c.value === 'boolean') {
      throw new StateStoreError(
        `invalid condition on ${String(c.attr)}: ${String(c.op)} needs a string or number value, not a boolean`,
      );
    }
  } else {
    throw malformed(condition);
  }
}

function malformed(condition: unknown): StateStoreError {
  return new StateStoreError(
    `malformed condition ${JSON.stringify(condition)}: use { notExists: true }, { attr, op, value }, ` +
      '{ attrNotExists }, { and: [...] } or { or: [...] }',
  );
}

/**
 * Whether `condition` holds on `current`, the live version of the item (undefined when absent or
 * expired).
 */
export function evaluateCondition(condition: Condition, current: StoreItem | undefined): boolean {
  if ('and' in condition) return condition.and.every((c) => evaluateCondition(c, current));
  if ('or' in condition) return condition.or.some((c) => evaluateCondition(c, current));
  if ('notExists' in condition) return current === undefined;
  if ('attrNotExists' in condition) return ownAttr(current, condition.attrNotExists) === undefined;
  const value = ownAttr(current, condition.attr);
  return value !== undefined && compareValues(value, condition.op, condition.value);
}

/** An attribute of the item itself (never one inherited from Object.prototype, such as `constructor`). */
function ownAttr(item: StoreItem | undefined, name: string): AttrValue | undefined {
  return item?.attrs && Object.hasOwn(item.attrs, name) ? item.attrs[name] : undefined;
}
