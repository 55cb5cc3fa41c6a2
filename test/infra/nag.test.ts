import { Validations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VARIANTS, variantStack } from './support';

// cdk-nag v3 is a CDK validation plugin: `validateScope` runs the AwsSolutions pack on a construct
// tree and reports the findings that no `Validations.of(...).acknowledge(...)` covers.

/** Every acknowledgment recorded under `stack`: rule id (without CDK's `Annotation::` prefix) -> reason. */
function acknowledgments(stack: Stack): Map<string, string> {
  const found = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [ruleId, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${c.node.path} ${ruleId.replace(/^annotation::/i, '')}`, reason);
      }
    }
  }
  return found;
}

describe.each(Object.keys(VARIANTS))('cdk-nag AwsSolutions on %s', (variant) => {
  let stack: Stack;
  beforeAll(() => {
    ({ stack } = variantStack(variant));
  });

  test('reports no finding that is not acknowledged (errors or warnings)', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('leaves no error annotation on the stack', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  test('every acknowledgment gives its reason, and only the expected rules are acknowledged', () => {
    const acks = acknowledgments(stack);
    expect(acks.size).toBeGreaterThan(0);
    for (const [, reason] of acks) expect(reason.length).toBeGreaterThan(30);
    const rules = new Set([...acks.keys()].map((k) => k.split(' ')[1].replace(/\[.*$/, '')));
    const allowed = ['AwsSolutions-L1', 'AwsSolutions-IAM5', 'AwsSolutions-S1', 'AwsSolutions-SQS3'];
    expect([...rules].filter((r) => !allowed.includes(r))).toEqual([]);
    // IAM5 is acknowledged finding by finding: object-level ARNs of buckets and s3:Abort*, never `*`.
    for (const key of acks.keys()) {
      const m = /AwsSolutions-IAM5\[(.*)\]$/.exec(key);
      if (m) expect(m[1]).toMatch(/^(Action::s3:Abort\*|Resource::.+\/\*)$/);
    }
  });
});
