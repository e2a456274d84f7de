import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';
import { RegionalService } from './regional-service.ts';

/**
 * Step Functions' ListStateMachines, StartExecution and DescribeExecution over its JSON 1.0
 * protocol (`X-Amz-Target: AWSStepFunctions.<Action>`). What an execution does is not the
 * emulator's business: each state machine is an executor given to startEmulator (local/environment.ts
 * gives the real definitions run with the real handlers).
 */

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
}

export type StateMachineExecutor = (
  input: unknown,
  execution: { executionArn: string; name: string },
) => Promise<ExecutionResult>;

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
}

interface MachineRecord {
  arn: string;
  name: string;
  createdAt: number;
  executor: StateMachineExecutor;
}

/**
 * "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8 encoded
 * string", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
const MAX_INPUT_BYTES = 256 * 1024;
const DEFAULT_PAGE = 100;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/;

export class StepFunctions extends RegionalService {
  readonly machines = new Map<string, MachineRecord>();
  readonly executions = new Map<string, ExecutionRecord>();
  /** Executions still running, so that close() can wait for them. */
  readonly running = new Set<Promise<void>>();

  define(name: string, executor: StateMachineExecutor): string {
    if (!NAME.test(name)) throw new ApiError('InvalidName', `Invalid State Machine Name: '${name}'`);
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
    this.machines.set(arn, { arn, name, createdAt: this.now(), executor });
    return arn;
  }

  listStateMachines(input: Record<string, unknown>): Record<string, unknown> {
    const max = input.maxResults;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000)) {
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must be between 0 and 1000",
      );
    }
    const size = max === undefined || max === 0 ? DEFAULT_PAGE : max;
    const start = pageStart(input.nextToken);
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = all.slice(start, start + size);
    return {
      stateMachines: page.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: m.createdAt / 1000,
      })),
      ...(start + size < all.length ? { nextToken: Buffer.from(`offset:${start + size}`).toString('base64') } : {}),
    };
  }

  startExecution(input: Record<string, unknown>): Record<string, unknown> {
    const arn = input.stateMachineArn;
    if (typeof arn !== 'string' || arn === '')
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
      );
    if (!STATE_MACHINE_ARN.test(arn))
      throw new ApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const machine = this.machines.get(arn);
    if (!machine) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    const name = input.name === undefined ? randomUUID() : input.name;
    if (typeof name !== 'string' || !NAME.test(name))
      throw new ApiError(
        'InvalidName',
        `Invalid Execution Name: '${typeof name === 'string' ? name : JSON.stringify(name)}'`,
      );
    const text = input.input === undefined ? '{}' : input.input;
    if (typeof text !== 'string')
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input must be a string');
    if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES)
      throw new ApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: larger than ${MAX_INPUT_BYTES} bytes`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // As AWS documents for Standard workflows: the same name and input while running is the same execution.
      if (existing.status === 'RUNNING' && existing.input === text)
        return { executionArn, startDate: existing.startDate / 1000 };
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: arn,
      name,
      input: text,
      status: 'RUNNING',
      startDate: this.now(),
    };
    this.executions.set(executionArn, record);
    const settle = (result: ExecutionResult) => {
      record.status = result.status;
      record.stopDate = this.now();
      const output = result.status === 'SUCCEEDED' ? JSON.stringify(result.output ?? null) : undefined;
      // Whatever the executor: an execution output over the quota fails the execution.
      if (output !== undefined && Buffer.byteLength(output, 'utf8') > MAX_INPUT_BYTES) {
        record.status = 'FAILED';
        record.error = 'States.DataLimitExceeded';
        record.cause = `The execution output is ${Buffer.byteLength(output, 'utf8')} bytes, over the limit of ${MAX_INPUT_BYTES} bytes`;
        return;
      }
      if (output !== undefined) record.output = output;
      if (result.error !== undefined) record.error = result.error;
      if (result.cause !== undefined) record.cause = result.cause;
    };
    // Started after the answer, as in AWS: StartExecution returns while the execution runs.
    const run: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => machine.executor(parsed, { executionArn, name }))
      .then(settle, (error: unknown) =>
        settle({
          status: 'FAILED',
          error: (error as Error)?.name ?? 'Error',
          cause: (error as Error)?.message ?? String(error),
        }),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return { executionArn, startDate: record.startDate / 1000 };
  }

  describeExecution(input: Record<string, unknown>): Record<string, unknown> {
    const arn = input.executionArn;
    if (typeof arn !== 'string' || arn === '')
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null",
      );
    if (!EXECUTION_ARN.test(arn))
      throw new ApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const e = this.executions.get(arn);
    if (!e) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate / 1000,
      ...(e.stopDate !== undefined ? { stopDate: e.stopDate / 1000 } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }

  /** Waits for every execution still running (their executors may still call the emulator). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

function pageStart(token: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  const match = typeof token === 'string' ? /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8')) : null;
  if (!match)
    throw new ApiError('InvalidToken', `Invalid Token: '${typeof token === 'string' ? token : JSON.stringify(token)}'`);
  return Number(match[1]);
}

export type StatesHandler = (input: Record<string, unknown>, stepFunctions: StepFunctions) => Record<string, unknown>;

export const STATES_ACTIONS: Record<string, StatesHandler> = {
  ListStateMachines: (input, sfn) => sfn.listStateMachines(input),
  StartExecution: (input, sfn) => sfn.startExecution(input),
  DescribeExecution: (input, sfn) => sfn.describeExecution(input),
};
