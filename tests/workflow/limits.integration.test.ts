import { jest } from '@jest/globals';
import {
  HISTORY_EVENT_LIMIT,
  invokeLambda,
  prepareMachine,
  runExecution,
  STATES_PAYLOAD_LIMIT_BYTES,
  type Handler,
  type LoadedMachine,
} from '../../local/stepfunctions/runner.ts';

/**
 * The local runner holds executions to Step Functions' and Lambda's documented quotas: 256 KiB for
 * every state input, state output, Task result and execution input or output; 25,000 history events;
 * 6 MB per synchronous Lambda request and response. These definitions are made for the test; the
 * handlers answer in place of the real ones.
 */

const KIB = 1024;
/** A JSON string of about `bytes` bytes. */
const blob = (bytes: number) => 'x'.repeat(bytes);

function machine(name: string, States: Record<string, unknown>, StartAt = Object.keys(States)[0]!): LoadedMachine {
  return prepareMachine(name, { StartAt, States } as LoadedMachine['definition']);
}

const task = (fn: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: `\${${fn}FunctionArn}`,
  ...extra,
});

describe('256 KiB state payloads (States.DataLimitExceeded)', () => {
  it('fails on a Task result over the limit, which Catch States.ALL does not catch', async () => {
    const caught = jest.fn(async () => ({}));
    const definition = machine('result', {
      Big: task('Big', {
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
        End: true,
      }),
      Handled: task('Handled', { End: true }),
    });
    const big = jest.fn(async () => ({ data: blob(STATES_PAYLOAD_LIMIT_BYTES) }));
    const run = await runExecution(definition, {}, { handlers: { big, handled: caught }, retryPauseMs: 0 });
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('States.DataLimitExceeded');
    expect(run.error?.message).toContain('state Big');
    expect(big).toHaveBeenCalledTimes(1);
    expect(caught).not.toHaveBeenCalled();
  });

  it('accepts a result of exactly 256 KiB of UTF-8 and counts multi-byte characters as UTF-8 does', async () => {
    const overhead = JSON.stringify({ data: '' }).length;
    const exact = async () => ({ data: blob(STATES_PAYLOAD_LIMIT_BYTES - overhead) });
    const ok = await runExecution(
      machine('exact', { Exact: task('Exact', { End: true }) }),
      {},
      { handlers: { exact } },
    );
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.largestPayloadBytes).toBe(STATES_PAYLOAD_LIMIT_BYTES);
    // Half as many characters, but each is two bytes in UTF-8.
    const wide = async () => ({ data: 'é'.repeat(STATES_PAYLOAD_LIMIT_BYTES / 2) });
    const over = await runExecution(machine('wide', { Wide: task('Wide', { End: true }) }), {}, { handlers: { wide } });
    expect(over.error?.name).toBe('States.DataLimitExceeded');
  });

  it('fails when ResultPath makes a state output too large, before the next Task runs', async () => {
    const half = async () => ({ data: blob(150 * KIB) });
    const next = jest.fn(async () => ({}));
    const definition = machine('merge', {
      First: task('Half', { ResultPath: '$.a', Next: 'Second' }),
      Second: task('Half', { ResultPath: '$.b', Next: 'Third' }),
      Third: task('Next', { Parameters: { small: true }, End: true }),
    });
    const run = await runExecution(definition, {}, { handlers: { half, next } });
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({
      name: 'States.DataLimitExceeded',
      message: expect.stringContaining('output of state Second'),
    });
    expect(next).not.toHaveBeenCalled();
    expect(run.largestPayloadBytes).toBeGreaterThan(STATES_PAYLOAD_LIMIT_BYTES);
  });

  it('fails on an execution output over the limit (a Pass state builds it)', async () => {
    const half = async () => ({ data: blob(150 * KIB) });
    const definition = machine('output', {
      Load: task('Half', { ResultPath: '$.a', Next: 'Shape' }),
      Shape: { Type: 'Pass', Parameters: { 'one.$': '$.a', 'two.$': '$.a' }, End: true },
    });
    const run = await runExecution(definition, {}, { handlers: { half } });
    expect(run.error?.name).toBe('States.DataLimitExceeded');
    expect(run.output).toBeNull();
  });

  it('refuses an execution input over the limit, as StartExecution does', async () => {
    const definition = machine('input', { Done: { Type: 'Pass', End: true } });
    await expect(runExecution(definition, { data: blob(STATES_PAYLOAD_LIMIT_BYTES) })).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
  });
});

describe('execution history of a Standard workflow', () => {
  const mapOf = () =>
    machine('map', {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Work',
          States: { Work: task('Work', { End: true }) },
        },
        ResultSelector: { 'done.$': 'States.ArrayLength($)' },
        End: true,
      },
    });
  const work = async () => ({});

  it('counts events as Step Functions records them', async () => {
    // ExecutionStarted; MapStateEntered, MapStateStarted; per item MapIterationStarted, TaskStateEntered,
    // LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded, TaskStateExited,
    // MapIterationSucceeded; MapStateSucceeded, MapStateExited; ExecutionSucceeded.
    const run = await runExecution(mapOf(), { items: [1, 2, 3] }, { handlers: { work } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.historyEvents).toBe(1 + 2 + 3 * 7 + 2 + 1);
  });

  it('counts each retry of a Task as three more events', async () => {
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('busy'), { name: 'Throttled' });
      return {};
    };
    const definition = machine('retry', {
      Flaky: task('Flaky', { Retry: [{ ErrorEquals: ['Throttled'], MaxAttempts: 5 }], End: true }),
    });
    const run = await runExecution(definition, {}, { handlers: { flaky }, retryPauseMs: 0 });
    expect(run.historyEvents).toBe(1 + 2 + 3 * 3 + 1);
  });

  it(`fails the execution past ${HISTORY_EVENT_LIMIT} events`, async () => {
    const fits = (HISTORY_EVENT_LIMIT - 6 - ((HISTORY_EVENT_LIMIT - 6) % 7)) / 7;
    const within = await runExecution(
      mapOf(),
      { items: Array.from({ length: fits }, (_, i) => i) },
      { handlers: { work } },
    );
    expect(within.status).toBe('SUCCEEDED');
    expect(within.historyEvents).toBeLessThanOrEqual(HISTORY_EVENT_LIMIT);
    const over = await runExecution(
      mapOf(),
      { items: Array.from({ length: fits + 1 }, (_, i) => i) },
      { handlers: { work } },
    );
    expect(over.status).toBe('FAILED');
    expect(over.error?.message).toContain('maximum number of history events');
  }, 60_000);
});

describe("Lambda's 6 MB synchronous payload", () => {
  const SIX_MB = 6 * 1024 * 1024;
  it('fails an invocation whose response is over 6 MB with the function error Lambda reports', async () => {
    const huge = async () => ({ data: blob(SIX_MB) });
    const definition = machine('huge', { Huge: task('Huge', { End: true }) });
    const run = await runExecution(definition, {}, { handlers: { huge } });
    expect(run.error?.name).toBe('Function.ResponseSizeTooLarge');
  });

  it('refuses a request over 6 MB before the function runs', async () => {
    const handler: Handler = jest.fn(async () => ({}));
    await expect(invokeLambda(handler, { data: blob(SIX_MB) }, {})).rejects.toMatchObject({
      name: 'Lambda.RequestTooLargeException',
    });
    expect(handler).not.toHaveBeenCalled();
  });
});
