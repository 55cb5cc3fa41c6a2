/**
 * `Condition` to DynamoDB ConditionExpression, built from named parts: every attribute name and
 * value is a placeholder, so reserved words (`status`, `size`...) and any value are safe.
 *
 * Expiry is part of every condition: DynamoDB still holds expired items until TTL deletes them, and
 * the contract treats them as absent. With EXPIRED := `#exp < :now` (false when there is no TTL):
 * - notExists:           attribute_not_exists(pk) OR EXPIRED
 * - attr op value:       attribute_exists(attr) AND NOT EXPIRED AND attr op value
 *                        (the first term makes `<>` false on an absent attribute, as the contract says)
 * - attrNotExists attr:  attribute_not_exists(attr) OR EXPIRED
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttrValue, Condition } from './types';

/** A ConditionExpression with its placeholders, ready for a request. */
export interface ConditionExpressionParts {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

/**
 * The expression for `condition` at time `nowMs`.
 * @example toConditionExpression({ notExists: true }, Date.now()).ConditionExpression
 * // '(attribute_not_exists(#pk) OR #exp < :now)'
 */
export function toConditionExpression(condition: Condition, nowMs: number): ConditionExpressionParts {
  const builder = new ExpressionBuilder(nowMs);
  const expression = builder.build(condition);
  return builder.parts(expression);
}

class ExpressionBuilder {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, AttributeValue> = {};
  private readonly nameOf = new Map<string, string>();

  constructor(private readonly nowMs: number) {}

  build(c: Condition): string {
    if ('and' in c) return c.and.length === 0 ? this.always(true) : this.join(c.and, 'AND');
    if ('or' in c) return c.or.length === 0 ? this.always(false) : this.join(c.or, 'OR');
    if ('notExists' in c) return `(attribute_not_exists(${this.name('pk')}) OR ${this.expired()})`;
    if ('attrNotExists' in c)
      return `(attribute_not_exists(${this.name(c.attrNotExists)}) OR ${this.expired()})`;
    const a = this.name(c.attr);
    return `(attribute_exists(${a}) AND NOT ${this.expired()} AND ${a} ${c.op} ${this.value(c.value)})`;
  }

  parts(expression: string): ConditionExpressionParts {
    const parts: ConditionExpressionParts = {
      ConditionExpression: expression,
      ExpressionAttributeNames: this.names,
    };
    if (Object.keys(this.values).length > 0) parts.ExpressionAttributeValues = this.values;
    return parts;
  }

  private join(conditions: Condition[], op: 'AND' | 'OR'): string {
    return `(${conditions.map((c) => this.build(c)).join(` ${op} `)})`;
  }

  /** DynamoDB has no literal true or false: an item either has a partition key or not. */
  private always(truth: boolean): string {
    const pk = this.name('pk');
    return truth
      ? `(attribute_exists(${pk}) OR attribute_not_exists(${pk}))`
      : `(attribute_exists(${pk}) AND attribute_not_exists(${pk}))`;
  }

  private expired(): string {
    if (!(':now' in this.values)) this.values[':now'] = { N: String(this.nowMs / 1000) };
    return `(${this.name('expiresAt', '#exp')} < :now)`;
  }

  private name(attr: string, placeholder?: string): string {
    let p = this.nameOf.get(attr);
    if (p === undefined) {
      p = placeholder ?? (attr === 'pk' ? '#pk' : `#a${this.nameOf.size}`);
      this.nameOf.set(attr, p);
      this.names[p] = attr;
    }
    return p;
  }

  private value(v: AttrValue): string {
    const p = `:v${Object.keys(this.values).length}`;
    this.values[p] =
      typeof v === 'string' ? { S: v } : typeof v === 'number' ? { N: String(v) } : { BOOL: v };
    return p;
  }
}
