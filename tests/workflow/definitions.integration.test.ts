import aslValidator from 'asl-validator';
import { parseConfig } from '../../src/config/load.ts';
import { InvalidInput } from '../../src/mirroring/input.ts';
import { startLocalAutotap, STATE_MACHINES, type LocalAutotap } from '../../local/environment.ts';
import { functionTimeoutsMs, loadStateMachine } from '../../local/stepfunctions/runner.ts';

/**
 * The definitions as an independent validator reads them, and their retriers against the errors Step
 * Functions and autotap's Lambdas really emit.
 */

interface Retrier {
  ErrorEquals: string[];
}
interface State {
  Type: string;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  ItemProcessor?: { States: Record<string, State> };
}

function* tasks(states: Record<string, State>, prefix = ''): Generator<[string, State]> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') yield [`${prefix}${name}`, state];
    if (state.ItemProcessor) yield* tasks(state.ItemProcessor.States, `${prefix}${name}/`);
  }
}

/** Step Functions' advice for Lambda tasks (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html). */
const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

describe.each(STATE_MACHINES)('%s', (name) => {
  const machine = loadStateMachine(name);
  const states = machine.definition.States as unknown as Record<string, State>;

  it('is valid Amazon States Language for asl-validator (ARNs and paths checked)', () => {
    const result = aslValidator(machine.definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('retries no deterministic error: no retrier matches every error (States.ALL, States.TaskFailed)', () => {
    for (const [, state] of tasks(states)) {
      for (const retrier of state.Retry ?? []) {
        expect(retrier.ErrorEquals).not.toContain('States.ALL');
        expect(retrier.ErrorEquals).not.toContain('States.TaskFailed');
      }
    }
  });

  it("gives every Task its own TimeoutSeconds, longer than its Lambda's timeout", () => {
    // Explicit everywhere: the States Language specification defaults to 60 s, Step Functions'
    // guide to none (sfn-stuck-execution.html), so no Task may depend on which one applies.
    const { fallback, byFunction } = functionTimeoutsMs();
    for (const [stateName, functionName] of machine.tasks) {
      const state = [...tasks(states)].find(([name]) => name.split('/').pop() === stateName)![1];
      const lambdaSeconds = (byFunction.get(functionName) ?? fallback) / 1000;
      expect({ stateName, outlastsLambda: (state.TimeoutSeconds ?? 0) > lambdaSeconds }).toEqual({
        stateName,
        outlastsLambda: true,
      });
    }
  });

  it("retries every Task on Lambda's transient service errors", () => {
    for (const [stateName, state] of tasks(states)) {
      const named = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ stateName, missing: LAMBDA_TRANSIENT.filter((e) => !named.includes(e)) }).toEqual({
        stateName,
        missing: [],
      });
    }
  });
});

describe('a deterministic error is not retried', () => {
  let local: LocalAutotap;
  afterEach(async () => {
    await local?.close();
  });
  const config = parseConfig({ mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }] } });

  it('Summarize of mirror-instances failing with InvalidInput runs once and fails the execution', async () => {
    local = await startLocalAutotap(
      {
        targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' }],
        filters: [{ id: 'tmf-0f1' }],
        instances: [{ id: 'i-0a1', networkInterfaces: [{ id: 'eni-0a1' }] }],
      },
      config,
    );
    let calls = 0;
    const summarize = async () => {
      calls += 1;
      throw new InvalidInput('results: expected an array');
    };
    const run = await local.run('mirror-instances', { instanceId: 'i-0a1' }, { handlers: { summarize } });
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('InvalidInput');
    expect(calls).toBe(1);
  });
});
