import { ApiError } from './errors.ts';
import { stringList, type Params } from './query.ts';
import type { Account } from './state.ts';
import { list, text, type Child } from './xml.ts';

/**
 * IAM's SimulatePrincipalPolicy (Query protocol, Version 2010-05-08) for roles the seed defines with
 * inline policies, evaluated as IAM documents it: an explicit Deny wins, else an Allow, else the
 * implicit deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * Actions match without case, resources with case; both take `*` and `?`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
 * Conditions, boundaries and managed policies are not modelled: seeds use none.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
 */

export const IAM_VERSION = '2010-05-08';
export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

export type IamHandler = (params: Params, account: Account) => Child[];

function wildcard(pattern: string, value: string, flags = ''): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, `s${flags}`).test(value);
}

function simulatePrincipalPolicy(params: Params, account: Account): Child[] {
  const source = params.get('PolicySourceArn');
  if (!source) throw new ApiError('InvalidInput', 'The request must contain the parameter PolicySourceArn');
  const actions = stringList(params, 'ActionNames.member');
  if (actions.length === 0) throw new ApiError('InvalidInput', 'The request must contain the parameter ActionNames');
  const resources = stringList(params, 'ResourceArns.member');
  const role = account.roles.find((r) => r.arn === source);
  if (!role) throw new ApiError('NoSuchEntity', `The role with ARN ${source} cannot be found.`, 404);
  const statements = role.policies.flatMap((p) => p.statements);
  const results = actions.flatMap((action) =>
    (resources.length > 0 ? resources : ['*']).map((resource) => {
      const applies = (effect: 'Allow' | 'Deny') =>
        statements.some(
          (s) =>
            s.effect === effect &&
            s.actions.some((a) => wildcard(a, action, 'i')) &&
            s.resources.some((r) => wildcard(r, resource)),
        );
      const decision = applies('Deny') ? 'explicitDeny' : applies('Allow') ? 'allowed' : 'implicitDeny';
      return { action, resource, decision };
    }),
  );
  return [
    list(
      'EvaluationResults',
      results,
      (r) => [text('EvalActionName', r.action), text('EvalResourceName', r.resource), text('EvalDecision', r.decision)],
      'member',
    ),
    text('IsTruncated', false),
  ];
}

export const IAM_ACTIONS: Record<string, IamHandler> = { SimulatePrincipalPolicy: simulatePrincipalPolicy };
