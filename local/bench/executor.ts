import { runExecution, type LoadedMachine } from '../stepfunctions/runner.ts';

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

/**
 * Executions of one definition through the local runner, with the definition's own Retry pauses
 * (the benchmark scales them in the definition rather than overriding them).
 */
export function executor(machine: LoadedMachine): Executor {
  return {
    async run(input, onInvoke) {
      const { status, output, error, stateTransitions } = await runExecution(machine, input, onInvoke ? { onInvoke } : {});
      return { status, output, error, stateTransitions };
    },
  };
}
