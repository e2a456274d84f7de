import {
  DescribeExecutionCommand,
  paginateListStateMachines,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { permitted } from './permissions.ts';
import { countThrottles } from './throttles.ts';

/**
 * The Step Functions calls of the operator commands (`autotap rerun`): find a deployed state machine
 * by name, start an execution, read its state. SDK errors leave this module as StepFunctionsError.
 */

let shared: { endpoint: string | undefined; client: SFNClient } | undefined;
/**
 * One client per process; region, credentials and endpoint come from the standard AWS_* variables
 * (AWS_ENDPOINT_URL_SFN or AWS_ENDPOINT_URL for a local Step Functions API); a new client only if
 * the endpoint variable changes.
 */
export function stepFunctionsClient(): SFNClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SFN ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint)
    shared = { endpoint, client: countThrottles(new SFNClient({}), 'states') };
  return shared.client;
}

export type StepFunctionsErrorKind = 'access-denied' | 'throttled' | 'not-found' | 'already-exists' | 'failed';

const KINDS: Record<string, StepFunctionsErrorKind> = {
  AccessDeniedException: 'access-denied',
  UnrecognizedClientException: 'access-denied',
  ThrottlingException: 'throttled',
  StateMachineDoesNotExist: 'not-found',
  ExecutionDoesNotExist: 'not-found',
  ExecutionAlreadyExists: 'already-exists',
};

/** A Step Functions call that failed, named by the action and the service's error code. */
export class StepFunctionsError extends Error {
  override name = 'StepFunctionsError';
  readonly kind: StepFunctionsErrorKind;
  readonly code: string;
  constructor(action: string, error: unknown) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    super(`Step Functions ${action} failed: ${name}: ${message}`);
    this.code = name;
    this.kind = KINDS[name] ?? 'failed';
  }
}

async function call<T>(action: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new StepFunctionsError(action, error);
  }
}

/** The ARN of the state machine called `name` in the client's account and region, if there is one. */
export function findStateMachineArn(name: string, client = stepFunctionsClient()): Promise<string | undefined> {
  return call('ListStateMachines', async () => {
    for await (const page of paginateListStateMachines({ client }, {})) {
      const found = page.stateMachines?.find((m) => m.name === name);
      if (found?.stateMachineArn) return found.stateMachineArn;
    }
    return undefined;
  });
}

/**
 * Starts an execution with `input` (JSON-encoded here) and returns its ARN. With a `name`, a second
 * start of the same execution fails with kind `already-exists` once it has closed (while it runs,
 * the same name and input return it again:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export function startExecution(
  stateMachineArn: string,
  input: unknown,
  client = stepFunctionsClient(),
  name?: string,
): Promise<string> {
  return call('StartExecution', async () => {
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) }),
    );
    return started.executionArn ?? '';
  });
}

export interface ExecutionState {
  status: string;
  /** The execution's output document, as Step Functions returns it (JSON text). */
  output?: string;
  error?: string;
  cause?: string;
}

export function describeExecution(executionArn: string, client = stepFunctionsClient()): Promise<ExecutionState> {
  return call('DescribeExecution', async () => {
    const e = await client.send(new DescribeExecutionCommand({ executionArn }));
    return {
      status: e.status ?? 'UNKNOWN',
      ...(e.output !== undefined ? { output: e.output } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  });
}

/** Names of the account's state machines in this region. */
export async function listStateMachineNames(client = stepFunctionsClient()): Promise<string[]> {
  return permitted('states:ListStateMachines', async () => {
    const names: string[] = [];
    for await (const page of paginateListStateMachines({ client }, {}))
      names.push(...(page.stateMachines ?? []).flatMap((m) => (m.name ? [m.name] : [])));
    return names;
  });
}
