import { MEMBER_ROLE, memberTemplate } from '../deploy/member-template.ts';
import { CREATED_FILTER } from '../deploy/mirroring-resources.ts';
import type { Config } from '../src/config/schema.ts';
import type { OrganizationSeed, PolicyStatement } from './emulator/organization.ts';

/**
 * The member role as the member template's StackSet instance creates it in one account and Region:
 * its trust and its policy, with the template's intrinsics resolved, for the local AWS to hold the
 * central workflows to. The filter the template creates is the given one.
 */
export function memberRoleOf(
  config: Config,
  stage: string,
  place: { accountId: string; region: string; filterId: string },
): NonNullable<OrganizationSeed['roles']>[number] {
  const template = memberTemplate(config, stage);
  const role = template.Resources[MEMBER_ROLE]!.Properties as {
    RoleName: unknown;
    AssumeRolePolicyDocument: {
      Statement: { Principal: { AWS: unknown }; Condition?: Record<string, Record<string, unknown>> }[];
    };
    Policies: { PolicyDocument: { Statement: unknown[] } }[];
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if ('Fn::Sub' in record)
      return String(record['Fn::Sub'])
        .replaceAll('${AWS::Partition}', 'aws')
        .replaceAll('${AWS::Region}', place.region)
        .replaceAll('${AWS::AccountId}', place.accountId)
        .replaceAll(`\${${CREATED_FILTER}}`, place.filterId);
    if ('Ref' in record && record.Ref === 'AWS::AccountId') return place.accountId;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v)]));
  };
  const trust = role.AssumeRolePolicyDocument.Statement[0]!;
  const principal = String(resolve(trust.Principal.AWS));
  const arnLike = resolve(trust.Condition?.ArnLike?.['aws:PrincipalArn']);
  return {
    accountId: place.accountId,
    name: String(resolve(role.RoleName)),
    trust: { accountId: principal.split(':')[4]!, principalArnLike: typeof arnLike === 'string' ? arnLike : '*' },
    statements: role.Policies.flatMap((p) => resolve(p.PolicyDocument.Statement) as PolicyStatement[]),
  };
}
