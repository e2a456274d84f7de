import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  paginateListStateMachines,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, test } from '@jest/globals';
import {
  startEmulator,
  type Emulator,
  type ExecutionResult,
  type StateMachineExecutor,
} from '../../local/emulator/index.ts';
import { credentials, failure } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** An executor the test finishes by hand, recording what it was given. */
function controlled() {
  const calls: { input: unknown; executionArn: string; name: string }[] = [];
  const finishers: ((result: ExecutionResult) => void)[] = [];
  const executor = (input: unknown, execution: { executionArn: string; name: string }) => {
    calls.push({ input, ...execution });
    return new Promise<ExecutionResult>((resolve) => finishers.push(resolve));
  };
  const finishAll = (result: ExecutionResult) => {
    for (const finish of finishers.splice(0)) finish(result);
  };
  return { calls, executor, finishAll };
}

async function start(machines: Record<string, StateMachineExecutor>) {
  emulator = await startEmulator({}, { stateMachines: machines });
  return {
    emulator,
    sfn: new SFNClient({ endpoint: emulator.endpoint, region: emulator.region, credentials, maxAttempts: 1 }),
  };
}

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:autotap-dev-mirror-instances';

describe('Step Functions', () => {
  test('ListStateMachines pages through every state machine by name', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `machine-${i}`);
    const { sfn } = await start(
      Object.fromEntries(names.map((n) => [n, async () => ({ status: 'SUCCEEDED' as const })])),
    );
    const first = await sfn.send(new ListStateMachinesCommand({ maxResults: 2 }));
    expect(first.stateMachines!.map((m) => m.name)).toEqual(['machine-0', 'machine-1']);
    expect(first.nextToken).toBeDefined();
    expect(first.stateMachines![0]).toMatchObject({
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:machine-0',
      type: 'STANDARD',
    });
    expect(first.stateMachines![0]!.creationDate).toBeInstanceOf(Date);
    const all: string[] = [];
    for await (const page of paginateListStateMachines({ client: sfn, pageSize: 2 }, {}))
      all.push(...page.stateMachines!.map((m) => m.name!));
    expect(all).toEqual(names);
    expect((await failure(sfn.send(new ListStateMachinesCommand({ nextToken: 'garbage' })))).name).toBe('InvalidToken');
  });

  test('StartExecution runs the executor with the parsed input; DescribeExecution shows RUNNING, then SUCCEEDED with the output', async () => {
    const machine = controlled();
    const { emulator, sfn } = await start({ 'autotap-dev-mirror-instances': machine.executor });
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, input: '{"instanceIds":["i-1"]}' }),
    );
    expect(started.executionArn).toMatch(
      /^arn:aws:states:us-east-1:123456789012:execution:autotap-dev-mirror-instances:[0-9a-f-]{36}$/,
    );
    expect(started.startDate).toBeInstanceOf(Date);
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', input: '{"instanceIds":["i-1"]}', stateMachineArn: ARN });
    expect(running.stopDate).toBeUndefined();
    expect(machine.calls).toEqual([
      {
        input: { instanceIds: ['i-1'] },
        executionArn: started.executionArn,
        name: started.executionArn!.split(':').pop(),
      },
    ]);

    machine.finishAll({ status: 'SUCCEEDED', output: { results: [] } });
    await emulator.settleExecutions();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"results":[]}' });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());
    expect(done.error).toBeUndefined();
  });

  test('a failed execution shows its error and cause; an executor that throws fails the execution', async () => {
    const { emulator, sfn } = await start({
      fails: async () => ({
        status: 'FAILED',
        error: 'InvalidInput',
        cause: 'instanceIds[0]: "x" is not an instance id',
      }),
      throws: async () => {
        throw new TypeError('boom');
      },
    });
    const a = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN.replace('autotap-dev-mirror-instances', 'fails') }),
    );
    const b = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN.replace('autotap-dev-mirror-instances', 'throws') }),
    );
    await emulator.settleExecutions();
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }))).toMatchObject({
      status: 'FAILED',
      error: 'InvalidInput',
      cause: expect.stringContaining('not an instance id'),
    });
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: b.executionArn }))).toMatchObject({
      status: 'FAILED',
      error: 'TypeError',
      cause: 'boom',
    });
  });

  test('the same name and input while running is the same execution; a different input, or after the end, is ExecutionAlreadyExists', async () => {
    const machine = controlled();
    const { emulator, sfn } = await start({ 'autotap-dev-mirror-instances': machine.executor });
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'rerun-1', input: '{"a":1}' }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'rerun-1', input: '{"a":1}' }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(first.executionArn).toBe(`${ARN.replace(':stateMachine:', ':execution:')}:rerun-1`);
    expect(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'rerun-1', input: '{"a":2}' }))))
        .name,
    ).toBe('ExecutionAlreadyExists');
    machine.finishAll({ status: 'SUCCEEDED', output: {} });
    await emulator.settleExecutions();
    expect(machine.calls).toHaveLength(1);
    expect(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'rerun-1', input: '{"a":1}' }))))
        .name,
    ).toBe('ExecutionAlreadyExists');
  });

  test('an unknown state machine, invalid JSON input, a bad name and unknown executions are refused with Step Functions codes', async () => {
    const { sfn } = await start({ 'autotap-dev-mirror-instances': async () => ({ status: 'SUCCEEDED' }) });
    const unknown = await failure(
      sfn.send(new StartExecutionCommand({ stateMachineArn: ARN.replace('-dev-', '-prod-') })),
    );
    expect(unknown.name).toBe('StateMachineDoesNotExist');
    expect(unknown.$metadata?.httpStatusCode).toBe(400);
    expect(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, input: '{"instanceIds": [' })))).name,
    ).toBe('InvalidExecutionInput');
    expect(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'has spaces' })))).name,
    ).toBe('InvalidName');
    expect((await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })))).name).toBe(
      'InvalidArn',
    );
    expect(
      (
        await failure(
          sfn.send(
            new DescribeExecutionCommand({ executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:nope` }),
          ),
        )
      ).name,
    ).toBe('ExecutionDoesNotExist');
  });

  test('an execution whose output is over 256 KiB fails with States.DataLimitExceeded, whatever its executor returned', async () => {
    const big = { results: 'x'.repeat(256 * 1024) };
    const { emulator: emu, sfn } = await start({
      'autotap-dev-mirror-instances': async () => ({ status: 'SUCCEEDED', output: big }),
    });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN }));
    await emu.settleExecutions();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(done.output).toBeUndefined();
  });

  test('close() waits for executions still running', async () => {
    let finished = false;
    const { sfn, emulator: emu } = await start({
      slow: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
        return { status: 'SUCCEEDED' };
      },
    });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN.replace('autotap-dev-mirror-instances', 'slow') }));
    await emu.close();
    emulator = undefined;
    expect(finished).toBe(true);
  });
});
