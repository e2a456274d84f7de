import { ApiError } from './errors.ts';
import type { Account } from './state.ts';

/**
 * Lambda's GetFunctionConfiguration (REST JSON: GET /2015-03-31/functions/{FunctionName}/configuration),
 * for the role of a deployed function; an unknown function is 404 ResourceNotFoundException
 * (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html).
 */

export const FUNCTION_CONFIGURATION_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/configuration(\?.*)?$/;

export function getFunctionConfiguration(nameOrArn: string, account: Account): Record<string, unknown> {
  const fn = account.functions.get(nameOrArn) ?? [...account.functions.values()].find((f) => f.arn === nameOrArn);
  if (!fn) {
    const arn = nameOrArn.startsWith('arn:')
      ? nameOrArn
      : `arn:aws:lambda:${account.region}:${account.accountId}:function:${nameOrArn}`;
    throw new ApiError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
  }
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Role: fn.roleArn,
    Runtime: 'nodejs22.x',
    State: 'Active',
    PackageType: 'Zip',
  };
}
