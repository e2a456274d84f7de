import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { permitted } from './permissions.ts';

/** Whether a deployed function may call an action on a resource, as IAM would decide it. */

let sharedLambda: { endpoint: string | undefined; client: LambdaClient } | undefined;
let sharedIam: { endpoint: string | undefined; client: IAMClient } | undefined;

/** One client per process, as in ec2.ts. */
export function lambdaClient(): LambdaClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_LAMBDA ?? process.env.AWS_ENDPOINT_URL;
  if (!sharedLambda || sharedLambda.endpoint !== endpoint) sharedLambda = { endpoint, client: new LambdaClient({}) };
  return sharedLambda.client;
}

export function iamClient(): IAMClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_IAM ?? process.env.AWS_ENDPOINT_URL;
  if (!sharedIam || sharedIam.endpoint !== endpoint) sharedIam = { endpoint, client: new IAMClient({}) };
  return sharedIam.client;
}

/** The execution role of a function; undefined when the function does not exist. */
export async function functionRoleArn(functionName: string, client = lambdaClient()): Promise<string | undefined> {
  try {
    const out = await permitted('lambda:GetFunctionConfiguration', () =>
      client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    );
    return out.Role;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/**
 * IAM's own evaluation of the role's policies for one action on one resource
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html): only
 * `allowed` lets the call through; `implicitDeny` and `explicitDeny` do not.
 */
export async function roleMay(
  roleArn: string,
  action: string,
  resourceArn: string,
  client = iamClient(),
): Promise<boolean> {
  const out = await permitted('iam:SimulatePrincipalPolicy', () =>
    client.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: [action],
        ResourceArns: [resourceArn],
      }),
    ),
  );
  const results = out.EvaluationResults ?? [];
  return results.length > 0 && results.every((r) => r.EvalDecision === 'allowed');
}

/**
 * The account's Lambda concurrency in this region: its quota and what reserved concurrency leaves
 * (https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html).
 */
export async function accountConcurrency(
  client = lambdaClient(),
): Promise<{ concurrentExecutions: number; unreserved: number }> {
  const out = await permitted('lambda:GetAccountSettings', () => client.send(new GetAccountSettingsCommand({})));
  const limit = out.AccountLimit ?? {};
  if (limit.ConcurrentExecutions === undefined || limit.UnreservedConcurrentExecutions === undefined)
    throw new Error('GetAccountSettings answered without AccountLimit.ConcurrentExecutions');
  return { concurrentExecutions: limit.ConcurrentExecutions, unreserved: limit.UnreservedConcurrentExecutions };
}

/** A function's reserved concurrency: 0 without one, or when the function does not exist. */
export async function reservedConcurrency(functionName: string, client = lambdaClient()): Promise<number> {
  try {
    const out = await permitted('lambda:GetFunctionConcurrency', () =>
      client.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })),
    );
    return out.ReservedConcurrentExecutions ?? 0;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return 0;
    throw error;
  }
}
