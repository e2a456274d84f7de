import { ApiError } from './errors.ts';
import type { Account, FunctionRecord } from './state.ts';

/**
 * Lambda's REST JSON API, the read-only calls `autotap doctor` makes:
 * - GetFunctionConfiguration (GET /2015-03-31/functions/{FunctionName}/configuration), for the role of
 *   a deployed function (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html);
 * - GetFunctionConcurrency (GET /2019-09-30/functions/{FunctionName}/concurrency), a function's
 *   reserved concurrency, an empty object without one
 *   (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConcurrency.html);
 * - GetAccountSettings (GET /2016-08-19/account-settings), the account's concurrency quota and what
 *   is left unreserved (https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html).
 * An unknown function is 404 ResourceNotFoundException.
 */

export interface LambdaRoute {
  action: 'GetFunctionConfiguration' | 'GetFunctionConcurrency' | 'GetAccountSettings';
  answer(account: Account): Record<string, unknown>;
}

const FUNCTION_PATH = /^\/(2015-03-31|2019-09-30)\/functions\/([^/?]+)\/(configuration|concurrency)(\?.*)?$/;
const ACCOUNT_SETTINGS_PATH = /^\/2016-08-19\/account-settings\/?(\?.*)?$/;

function functionNamed(nameOrArn: string, account: Account): FunctionRecord {
  const fn = account.functions.get(nameOrArn) ?? [...account.functions.values()].find((f) => f.arn === nameOrArn);
  if (fn) return fn;
  const arn = nameOrArn.startsWith('arn:')
    ? nameOrArn
    : `arn:aws:lambda:${account.region}:${account.accountId}:function:${nameOrArn}`;
  throw new ApiError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
}

export function getFunctionConfiguration(nameOrArn: string, account: Account): Record<string, unknown> {
  const fn = functionNamed(nameOrArn, account);
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Role: fn.roleArn,
    Runtime: 'nodejs22.x',
    State: 'Active',
    PackageType: 'Zip',
  };
}

export function getFunctionConcurrency(nameOrArn: string, account: Account): Record<string, unknown> {
  const fn = functionNamed(nameOrArn, account);
  return fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency };
}

export function getAccountSettings(account: Account): Record<string, unknown> {
  return {
    AccountLimit: {
      ConcurrentExecutions: account.lambdaConcurrentExecutions,
      UnreservedConcurrentExecutions: account.lambdaConcurrentExecutions - account.reservedLambdaConcurrency(),
    },
    AccountUsage: { FunctionCount: account.functions.size },
  };
}

/** The call a request path names, or undefined when it is not one of Lambda's modelled here. */
export function lambdaRoute(url: string): LambdaRoute | undefined {
  if (ACCOUNT_SETTINGS_PATH.test(url)) return { action: 'GetAccountSettings', answer: getAccountSettings };
  const match = FUNCTION_PATH.exec(url);
  if (!match) return undefined;
  const [, version, encoded = '', what] = match;
  const name = decodeURIComponent(encoded);
  if (what === 'configuration' && version === '2015-03-31')
    return { action: 'GetFunctionConfiguration', answer: (account) => getFunctionConfiguration(name, account) };
  if (what === 'concurrency' && version === '2019-09-30')
    return { action: 'GetFunctionConcurrency', answer: (account) => getFunctionConcurrency(name, account) };
  return undefined;
}
