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
  /** Events of the execution's log (AWS records a few more per Task: scheduled, started). */
  historyEvents: number;
}

export interface RunOptions {
  /** Pause of every Retry in ms instead of the definition's backoff (keeps local runs fast). */
  retryPauseMs?: number;
  /** Called with every Task invocation, e.g. to count Lambda invocations. */
  onInvoke?: (functionName: string) => void;
  /** The execution's ARN (`$$.Execution.Id`), when the caller names it, e.g. the emulated Step Functions API. */
  executionArn?: string;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

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
  const definition = JSON.parse(readFileSync(join(ROOT, 'statemachines', `${name}.asl.json`), 'utf8'));
  const tasks = new Map<string, string>();
  for (const [stateName, state] of allStates(definition.States)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const match = PLACEHOLDER.exec(state.Resource);
    if (!match?.[1]) throw new Error(`${name}: state ${stateName} has Resource ${state.Resource}, expected \${<Name>FunctionArn}`);
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
    stateMachine = new StateMachine(structuredClone(machine.definition) as never, { validationOptions: { checkArn: false } });
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

function lambdaContext(functionName: string) {
  return {
    functionName: `autotap-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(functionName),
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/autotap-local-${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs one execution to its end and reports it the way the Step Functions console would. */
export async function runExecution(machine: LoadedMachine, input: unknown, options: RunOptions = {}): Promise<ExecutionRecord> {
  const executionArn = options.executionArn ?? `arn:aws:states:${REGION}:${ACCOUNT}:execution:autotap-local-${machine.name}:${randomUUID()}`;
  const stateMachine = validated(machine);
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, functionName] of machine.tasks) {
    taskResourceLocalHandlers[stateName] = async (taskInput: unknown) => {
      options.onInvoke?.(functionName);
      const handler = await loadHandler(functionName);
      return handler(taskInput, lambdaContext(functionName));
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
  let stateTransitions = 0;
  let historyEvents = 0;
  const counting = (async () => {
    for await (const event of execution.eventLogs) {
      historyEvents += 1;
      if ((event as { type: string }).type === 'StateEntered' || (event as { type: string }).type === 'StateRetried') {
        stateTransitions += 1;
      }
    }
  })();
  const record = { stateMachine: machine.name, executionArn, input };
  try {
    const output = await execution.result;
    await counting.catch(() => undefined);
    return { ...record, status: 'SUCCEEDED', output, error: null, stateTransitions, historyEvents };
  } catch (error) {
    await counting.catch(() => undefined);
    const { name, message } = executionError(error);
    return { ...record, status: 'FAILED', output: null, error: { name, message }, stateTransitions, historyEvents };
  }
}

/** aws-local-stepfunctions wraps the failing state's error; the console shows the original's name. */
function executionError(error: unknown): { name: string; message: string } {
  const e = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
  const inner = e.cause && typeof e.cause === 'object' ? e.cause : e;
  return { name: inner.name ?? 'Error', message: inner.message ?? String(error) };
}
