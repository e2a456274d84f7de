import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { functionArn, type LoadedMachine } from '../stepfunctions/runner.ts';

/**
 * Runs executions of one definition the way local/stepfunctions/runner.ts does (same handlers, same
 * transition count, same error shape), but validates the definition once instead of once per
 * execution: in a 1,000-execution burst that per-execution validation (ajv compiling the ASL schema)
 * took three quarters of the CPU and, with time scaled, would have been counted as workflow latency.
 */

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const handlers = new Map<string, Promise<Handler>>();

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Same module URLs as the runner's, so both share the handlers' module state (e.g. SDK clients). */
function loadHandler(functionName: string): Promise<Handler> {
  let loaded = handlers.get(functionName);
  if (!loaded) {
    const url = new URL(`../../functions/${kebab(functionName)}.ts`, import.meta.url).href;
    loaded = import(url).then((m: { handler: Handler }) => m.handler);
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

/** What the benchmark reads of an execution (a subset of the runner's ExecutionRecord). */
export interface BenchExecution {
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: { name: string; message: string } | null;
  /** States entered, retries included: what Step Functions bills as state transitions. */
  stateTransitions: number;
}

export interface Executor {
  run(input: unknown, onInvoke?: (functionName: string) => void): Promise<BenchExecution>;
}

export function executor(machine: LoadedMachine): Executor {
  // Validated here, once; every run reuses the validated machine.
  new StateMachine(structuredClone(machine.definition) as never, { validationOptions: { checkArn: false } });
  const stateMachine = new StateMachine(structuredClone(machine.definition) as never, { validationOptions: { noValidate: true } });

  return {
    async run(input, onInvoke) {
      const executionArn = `arn:aws:states:us-east-1:123456789012:execution:autotap-local-${machine.name}:${randomUUID()}`;
      const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
      for (const [stateName, functionName] of machine.tasks) {
        taskResourceLocalHandlers[stateName] = async (taskInput: unknown) => {
          onInvoke?.(functionName);
          const handler = await loadHandler(functionName);
          return handler(taskInput, lambdaContext(functionName));
        };
      }
      const execution = stateMachine.run(input as never, {
        overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never },
        context: { Execution: { Id: executionArn, Name: executionArn.split(':').pop() } },
      });
      let stateTransitions = 0;
      const counting = (async () => {
        for await (const event of execution.eventLogs) {
          const type = (event as { type: string }).type;
          // What Step Functions bills: every state entered, every retry.
          if (type === 'StateEntered' || type === 'StateRetried') stateTransitions += 1;
        }
      })();
      try {
        const output = await execution.result;
        await counting.catch(() => undefined);
        return { status: 'SUCCEEDED', output, error: null, stateTransitions };
      } catch (error) {
        await counting.catch(() => undefined);
        const e = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
        const inner = e.cause && typeof e.cause === 'object' ? e.cause : e;
        return { status: 'FAILED', output: null, error: { name: inner.name ?? 'Error', message: inner.message ?? String(error) }, stateTransitions };
      }
    },
  };
}
