import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

/**
 * Runs the real definitions in `statemachines/` with aws-local-stepfunctions, each Task calling the
 * real handler in-process. A Task's Resource placeholder names its function by convention:
 * `${AttachSessionFunctionArn}` is the function `attachSession` in `functions/attach-session.ts`,
 * exactly as serverless.yml wires it.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Step Functions' quotas, as https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * states them: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a
 * UTF-8 encoded string", and "Maximum execution history size: 25,000 events" (Standard workflows).
 */
export const STATES_PAYLOAD_LIMIT_BYTES = 256 * 1024;
export const HISTORY_EVENT_LIMIT = 25_000;
/**
 * Lambda's "Invocation payload (request and response): 6 MB each for request and response
 * (synchronous)", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; taken as
 * 6 MiB, the stricter reading.
 */
export const LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
const PLACEHOLDER = /^\$\{([A-Za-z]+)FunctionArn\}$/;
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

export interface ExecutionRecord {
  stateMachine: string;
  executionArn: string;
  input: unknown;
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: { name: string; message: string } | null;
  /** States entered, retries included: what Step Functions bills as state transitions. */
  stateTransitions: number;
  /**
   * Events of the execution's history, counted as Step Functions records them (see `historyEventsOf`):
   * what the 25,000-event quota of a Standard workflow is measured in.
   */
  historyEvents: number;
  /** The largest state input, state output or Task result of the execution, in UTF-8 bytes of its JSON. */
  largestPayloadBytes: number;
}

export interface RunOptions {
  /** Pause of every Retry in ms instead of the definition's backoff (keeps local runs fast). */
  retryPauseMs?: number;
  /** Called with every Task invocation, e.g. to count Lambda invocations. */
  onInvoke?: (functionName: string) => void;
  /** The execution's ARN (`$$.Execution.Id`), when the caller names it, e.g. the emulated Step Functions API. */
  executionArn?: string;
  /** Functions that answer in place of the real handler of the same name (tests of the runner itself). */
  handlers?: Record<string, Handler>;
  /** Lambda timeouts by function name in ms, instead of serverless.yml's (how long a round may run). */
  timeoutsMs?: Record<string, number>;
}

export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

interface AslState {
  Type: string;
  Resource?: string;
  Retry?: unknown[];
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function functionArn(functionName: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:autotap-local-${functionName}`;
}

/** Every state of a definition, nested Map and Parallel states included. */
function* allStates(states: Record<string, AslState>): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    const nested = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])];
    for (const inner of nested) if (inner) yield* allStates(inner.States);
  }
}

export interface LoadedMachine {
  name: string;
  definition: { States: Record<string, AslState>; StartAt: string };
  /** State name → function name, for every Task. */
  tasks: Map<string, string>;
}

export function loadStateMachine(name: string): LoadedMachine {
  return prepareMachine(
    name,
    JSON.parse(readFileSync(join(ROOT, 'statemachines', `${name}.asl.json`), 'utf8')) as LoadedMachine['definition'],
  );
}

/** A definition given as an object, its Task resources named by the same placeholders as the files'. */
export function prepareMachine(name: string, definition: LoadedMachine['definition']): LoadedMachine {
  definition = structuredClone(definition);
  const tasks = new Map<string, string>();
  for (const [stateName, state] of allStates(definition.States)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const match = PLACEHOLDER.exec(state.Resource);
    if (!match?.[1])
      throw new Error(`${name}: state ${stateName} has Resource ${state.Resource}, expected \${<Name>FunctionArn}`);
    const functionName = match[1].charAt(0).toLowerCase() + match[1].slice(1);
    state.Resource = functionArn(functionName);
    tasks.set(stateName, functionName);
  }
  return { name, definition, tasks };
}

const machines = new WeakMap<LoadedMachine, StateMachine>();

/**
 * One validated StateMachine per definition, shared by all its executions (runs are independent):
 * validating the ASL is most of the CPU an execution costs locally, so it is done once.
 */
function validated(machine: LoadedMachine): StateMachine {
  let stateMachine = machines.get(machine);
  if (!stateMachine) {
    stateMachine = new StateMachine(structuredClone(machine.definition) as never, {
      validationOptions: { checkArn: false },
    });
    machines.set(machine, stateMachine);
  }
  return stateMachine;
}

const handlers = new Map<string, Promise<Handler>>();

function loadHandler(functionName: string): Promise<Handler> {
  let loaded = handlers.get(functionName);
  if (!loaded) {
    const file = pathToFileURL(join(ROOT, 'functions', `${kebab(functionName)}.ts`)).href;
    loaded = import(file).then((m: { handler: Handler }) => m.handler);
    handlers.set(functionName, loaded);
  }
  return loaded;
}

/**
 * Each function's timeout as serverless.yml gives it (the provider's default, or the function's own
 * `timeout:`), so that `getRemainingTimeInMillis()` counts down as it does in Lambda.
 */
export function functionTimeoutsMs(): { fallback: number; byFunction: Map<string, number> } {
  const lines = readFileSync(join(ROOT, 'serverless.yml'), 'utf8').split('\n');
  let section = '';
  let current = '';
  let fallback = 3_000; // Lambda's own default when nothing is configured
  const byFunction = new Map<string, number>();
  for (const line of lines) {
    const top = /^([a-zA-Z]+):/.exec(line);
    if (top?.[1]) section = top[1];
    const fn = /^ {2}(?:- )?( {0,2})([a-zA-Z]+):\s*$/.exec(line);
    if (section === 'functions' && fn?.[2]) current = fn[2];
    const timeout = /^( +)timeout: (\d+)/.exec(line);
    if (!timeout?.[2]) continue;
    if (section === 'provider' && timeout[1]?.length === 2) fallback = Number(timeout[2]) * 1000;
    if (section === 'functions' && current) byFunction.set(current, Number(timeout[2]) * 1000);
  }
  return { fallback, byFunction };
}

let timeouts: ReturnType<typeof functionTimeoutsMs> | undefined;

function lambdaContext(functionName: string, timeoutMs?: number) {
  timeouts ??= functionTimeoutsMs();
  const deadline = Date.now() + (timeoutMs ?? timeouts.byFunction.get(functionName) ?? timeouts.fallback);
  return {
    functionName: `autotap-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(functionName),
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/autotap-local-${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** UTF-8 bytes of a value as JSON, the measure of every payload quota. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * An error no Retry or Catch handles: the error-handling page
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html) calls
 * States.DataLimitExceeded "a terminal error that can't be caught by the States.ALL error type"; a
 * catcher or retrier naming it is not documented to help either, so locally nothing does (the
 * stricter reading). aws-local-stepfunctions reads `isRetryable` and `isCatchable` from the error.
 */
export class TerminalStatesError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function dataLimitExceeded(what: string, bytes: number): TerminalStatesError {
  return new TerminalStatesError(
    'States.DataLimitExceeded',
    `${what} is ${bytes} bytes, over Step Functions' limit of ${STATES_PAYLOAD_LIMIT_BYTES} bytes (256 KiB)`,
  );
}

/**
 * One synchronous Lambda invocation with Lambda's payload quota: a request over 6 MB is refused by
 * the Invoke API (RequestTooLargeException, which Step Functions reports as `Lambda.<exception>`),
 * a response over it fails the invocation with the function error type Lambda gives it.
 */
export async function invokeLambda(handler: Handler, payload: unknown, context: unknown): Promise<unknown> {
  const requestBytes = payloadBytes(payload);
  if (requestBytes > LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES) {
    throw Object.assign(
      new Error(
        `Request payload of ${requestBytes} bytes exceeded the Invoke request body quota (${LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES} bytes)`,
      ),
      { name: 'Lambda.RequestTooLargeException' },
    );
  }
  const result = await handler(payload, context);
  const responseBytes = payloadBytes(result);
  if (responseBytes > LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES) {
    throw Object.assign(
      new Error(
        `Response payload size (${responseBytes} bytes) exceeded maximum allowed payload size (${LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES} bytes).`,
      ),
      { name: 'Function.ResponseSizeTooLarge' },
    );
  }
  return result;
}

interface LoggedEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
}

/**
 * The events Step Functions writes to a Standard execution's history for one event of
 * aws-local-stepfunctions' log (event types from
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * - ExecutionStarted, ExecutionSucceeded or ExecutionFailed: 1 each;
 * - a Task: TaskStateEntered and TaskStateExited, and per attempt LambdaFunctionScheduled,
 *   LambdaFunctionStarted and LambdaFunctionSucceeded or LambdaFunctionFailed (3; the first attempt
 *   is counted on entry, every retry on StateRetried);
 * - a Map: MapStateEntered and MapStateStarted on entry, MapStateSucceeded and MapStateExited on exit,
 *   and per iteration MapIterationStarted and MapIterationSucceeded or MapIterationFailed, besides the
 *   events of the states inside the iteration;
 * - a Parallel likewise (entered, started; succeeded, exited); every other state <Type>StateEntered and
 *   <Type>StateExited (a Fail state only its entry).
 * A failed state's own error is inside its Failed event, so StateFailed and StateCaught add nothing.
 */
export function historyEventsOf(event: LoggedEvent): number {
  const type = event.state?.type;
  switch (event.type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return 1;
    case 'StateEntered':
      if (type === 'Task') return 4;
      if (type === 'Map' || type === 'Parallel') return 2;
      return 1;
    case 'StateExited':
      if (type === 'Map' || type === 'Parallel') return 2;
      return type === 'Fail' ? 0 : 1;
    case 'StateRetried':
      return type === 'Task' ? 3 : 0;
    default:
      return 0;
  }
}

/** Runs one execution to its end and reports it the way the Step Functions console would. */
export async function runExecution(
  machine: LoadedMachine,
  input: unknown,
  options: RunOptions = {},
): Promise<ExecutionRecord> {
  const executionArn =
    options.executionArn ??
    `arn:aws:states:${REGION}:${ACCOUNT}:execution:autotap-local-${machine.name}:${randomUUID()}`;
  const inputBytes = payloadBytes(input);
  // As StartExecution refuses it: no execution starts.
  if (inputBytes > STATES_PAYLOAD_LIMIT_BYTES) {
    throw Object.assign(
      new Error(
        `Invalid State Machine Execution Input: ${inputBytes} bytes, larger than ${STATES_PAYLOAD_LIMIT_BYTES}`,
      ),
      { name: 'InvalidExecutionInput' },
    );
  }
  const stateMachine = validated(machine);
  let stateTransitions = 0;
  let historyEvents = 0;
  let largestPayloadBytes = inputBytes;
  /** The first quota broken: the execution fails with it, whatever the definition catches. */
  let violation: TerminalStatesError | null = null;
  let ended = false;
  const measure = (what: string, value: unknown): void => {
    const bytes = payloadBytes(value);
    largestPayloadBytes = Math.max(largestPayloadBytes, bytes);
    if (bytes > STATES_PAYLOAD_LIMIT_BYTES) throw dataLimitExceeded(what, bytes);
  };
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, functionName] of machine.tasks) {
    taskResourceLocalHandlers[stateName] = async (taskInput: unknown) => {
      // Lets the event log catch up (it is read asynchronously), so that an output over the limit
      // that led here stops the execution before this Task has any effect.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (violation) throw violation;
      measure(`The input of state ${stateName} after Parameters`, taskInput);
      options.onInvoke?.(functionName);
      const handler = options.handlers?.[functionName] ?? (await loadHandler(functionName));
      const result = await invokeLambda(
        handler,
        taskInput,
        lambdaContext(functionName, options.timeoutsMs?.[functionName]),
      );
      measure(`The result of state ${stateName}`, result);
      return result;
    };
  }
  const retryIntervalOverrides: Record<string, number> = {};
  if (options.retryPauseMs !== undefined) {
    for (const [stateName, state] of allStates(machine.definition.States)) {
      if (state.Retry) retryIntervalOverrides[stateName] = options.retryPauseMs;
    }
  }
  const execution = stateMachine.run(input as never, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never, retryIntervalOverrides },
    context: { Execution: { Id: executionArn, Name: executionArn.split(':').pop() } },
  });
  const stop = (error: TerminalStatesError) => {
    violation ??= error;
    execution.abort();
  };
  const counting = (async () => {
    for await (const logged of execution.eventLogs) {
      const event = logged as LoggedEvent;
      historyEvents += historyEventsOf(event);
      if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed') ended = true;
      if (event.type === 'StateEntered' || event.type === 'StateRetried') stateTransitions += 1;
      try {
        if (event.type === 'StateEntered' && event.state)
          measure(`The input of state ${event.state.name}`, event.state.input);
        if (event.type === 'StateExited' && event.state)
          measure(`The output of state ${event.state.name}`, event.state.output);
      } catch (error) {
        stop(error as TerminalStatesError);
      }
      if (historyEvents > HISTORY_EVENT_LIMIT) {
        stop(
          new TerminalStatesError(
            'States.Runtime',
            `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`,
          ),
        );
      }
    }
  })();
  const record = { stateMachine: machine.name, executionArn, input };
  const failed = (error: unknown): ExecutionRecord => {
    const { name, message } = violation ?? executionError(error);
    // The ExecutionFailed event, when the library ended the log without it (an abort).
    return {
      ...record,
      status: 'FAILED',
      output: null,
      error: { name, message },
      stateTransitions,
      historyEvents: ended ? historyEvents : historyEvents + 1,
      largestPayloadBytes,
    };
  };
  try {
    const output = await execution.result;
    await counting.catch(() => undefined);
    if (violation) return failed(violation);
    return {
      ...record,
      status: 'SUCCEEDED',
      output,
      error: null,
      stateTransitions,
      historyEvents,
      largestPayloadBytes,
    };
  } catch (error) {
    await counting.catch(() => undefined);
    return failed(error);
  }
}

/** aws-local-stepfunctions wraps the failing state's error; the console shows the original's name. */
function executionError(error: unknown): { name: string; message: string } {
  const e = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
  const inner = e.cause && typeof e.cause === 'object' ? e.cause : e;
  return { name: inner.name ?? 'Error', message: inner.message ?? String(error) };
}
