/**
 * The size quotas a deploy of a packaged template meets, measured on the template as CloudFormation
 * would submit it (intrinsics evaluated as a deploy to the test account would).
 *
 * - CloudFormation: at most 500 resources, and a template body of at most 1 MB from S3 (where the
 *   framework uploads it) - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 * - IAM: a role's inline policies together at most 10,240 characters, a managed policy at most 6,144,
 *   a role trust policy at most 2,048; IAM does not count white space -
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
import { asArray, evaluate, type PolicyDocument, type Template } from '../template/inspect.ts';

export const CFN_MAX_RESOURCES = 500;
export const CFN_MAX_TEMPLATE_BYTES = 1_000_000;
export const IAM_MAX_ROLE_INLINE_POLICY_CHARS = 10_240;
export const IAM_MAX_MANAGED_POLICY_CHARS = 6_144;
export const IAM_MAX_TRUST_POLICY_CHARS = 2_048;

/** Characters IAM counts for a policy document: its JSON without white space outside strings. */
export const policyCharacters = (template: Template, document: unknown): number =>
  JSON.stringify(evaluate(template, document)).length;

export interface Measure {
  what: string;
  size: number;
  limit: number;
}

/** Every quota-bound size of the template, with its limit. */
export function quotaMeasures(template: Template): Measure[] {
  const measures: Measure[] = [
    { what: 'CloudFormation resources', size: Object.keys(template.Resources).length, limit: CFN_MAX_RESOURCES },
    {
      what: 'CloudFormation template bytes',
      size: Buffer.byteLength(JSON.stringify(template)),
      limit: CFN_MAX_TEMPLATE_BYTES,
    },
  ];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      const inline = asArray(resource.Properties.Policies as { PolicyDocument: PolicyDocument }[] | undefined);
      measures.push(
        {
          what: `${logicalId} inline policies`,
          size: inline.reduce((n, p) => n + policyCharacters(template, p.PolicyDocument), 0),
          limit: IAM_MAX_ROLE_INLINE_POLICY_CHARS,
        },
        {
          what: `${logicalId} trust policy`,
          size: policyCharacters(template, resource.Properties.AssumeRolePolicyDocument),
          limit: IAM_MAX_TRUST_POLICY_CHARS,
        },
      );
    }
    if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      measures.push({
        what: `${logicalId} managed policy`,
        size: policyCharacters(template, resource.Properties.PolicyDocument),
        limit: IAM_MAX_MANAGED_POLICY_CHARS,
      });
    }
  }
  return measures;
}

export const overQuota = (template: Template): Measure[] => quotaMeasures(template).filter((m) => m.size > m.limit);
