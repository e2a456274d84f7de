import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  describeExecution,
  findStateMachineArn,
  stepFunctionsClient,
  startExecution,
  StepFunctionsError,
} from '../../src/aws/stepfunctions.ts';

/** The Step Functions adapter of the operator commands: its answers, and SDK errors made StepFunctionsError. */

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());
afterAll(() => sfn.restore());

const client = () => new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const machine = (name: string) => ({
  name,
  stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`,
  type: 'STANDARD' as const,
  creationDate: new Date(0),
});

test('finds a state machine by name on a later page, and says when there is none', async () => {
  sfn
    .on(ListStateMachinesCommand)
    .resolvesOnce({ stateMachines: [machine('other')], nextToken: 'page-2' })
    .resolvesOnce({ stateMachines: [machine('autotap-dev-mirror-instances')] });
  expect(await findStateMachineArn('autotap-dev-mirror-instances', client())).toBe(
    'arn:aws:states:us-east-1:123456789012:stateMachine:autotap-dev-mirror-instances',
  );
  sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [machine('other')] });
  expect(await findStateMachineArn('autotap-prod-mirror-instances', client())).toBeUndefined();
});

test("starts with the input as JSON, and describes an execution without the SDK's shape", async () => {
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date(0) });
  expect(await startExecution('arn:sm', { instanceIds: ['i-0a1'] }, client())).toBe('arn:exec');
  expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
    stateMachineArn: 'arn:sm',
    input: '{"instanceIds":["i-0a1"]}',
  });
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: 'arn:exec',
    stateMachineArn: 'arn:sm',
    status: 'FAILED',
    error: 'States.Timeout',
    startDate: new Date(0),
  });
  expect(await describeExecution('arn:exec', client())).toEqual({ status: 'FAILED', error: 'States.Timeout' });
});

test.each([
  ['AccessDeniedException', 'access-denied'],
  ['ThrottlingException', 'throttled'],
  ['ExecutionDoesNotExist', 'not-found'],
  ['InternalServerError', 'failed'],
])('an SDK error %s leaves as StepFunctionsError of kind %s, naming the action', async (name, kind) => {
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('no'), { name }));
  const error = await describeExecution('arn:exec', client()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StepFunctionsError);
  expect(error).toMatchObject({ kind, code: name, message: `Step Functions DescribeExecution failed: ${name}: no` });
});

test('the shared client follows AWS_ENDPOINT_URL_SFN', () => {
  const before = process.env.AWS_ENDPOINT_URL_SFN;
  try {
    process.env.AWS_ENDPOINT_URL_SFN = 'http://127.0.0.1:1';
    const first = stepFunctionsClient();
    expect(stepFunctionsClient()).toBe(first);
    process.env.AWS_ENDPOINT_URL_SFN = 'http://127.0.0.1:2';
    expect(stepFunctionsClient()).not.toBe(first);
  } finally {
    if (before === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
    else process.env.AWS_ENDPOINT_URL_SFN = before;
  }
});
