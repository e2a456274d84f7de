import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { baseSeed } from './fixture.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function post(
  body: string,
  contentType = 'application/x-www-form-urlencoded',
): Promise<{ status: number; text: string }> {
  const response = await fetch(emulator?.endpoint ?? '', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const code = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

describe('the Query protocol', () => {
  test('EC2 errors use the Response/Errors/Error envelope with a RequestID', async () => {
    emulator = await startEmulator(baseSeed());
    const { status, text } = await post('Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-missing');
    expect(status).toBe(400);
    expect(text).toMatch(
      /<Response><Errors><Error><Code>InvalidInstanceID\.NotFound<\/Code><Message>[^<]*i-missing[^<]*<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>/,
    );
  });

  test('successful EC2 answers are in the EC2 namespace with a requestId', async () => {
    emulator = await startEmulator(baseSeed());
    const { status, text } = await post('Action=DescribeTrafficMirrorFilters&Version=2016-11-15');
    expect(status).toBe(200);
    expect(text).toContain(
      '<DescribeTrafficMirrorFiltersResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>',
    );
    expect(text).toContain('<trafficMirrorFilterId>tmf-1</trafficMirrorFilterId>');
  });

  test('an unknown action is InvalidAction and the server keeps serving', async () => {
    emulator = await startEmulator(baseSeed());
    const unknown = await post('Action=RunInstances&Version=2016-11-15');
    expect(unknown.status).toBe(400);
    expect(code(unknown.text)).toBe('InvalidAction');
    expect(unknown.text).toContain('RunInstances');
    expect(emulator.calls().RunInstances).toBe(1);
    expect(emulator.successfulCalls().RunInstances).toBeUndefined();
    expect((await post('Action=DescribeInstances&Version=2016-11-15')).status).toBe(200);
  });

  test('malformed input is a 400 error naming the problem, never a crash', async () => {
    emulator = await startEmulator(baseSeed());
    const cases: [string, string | undefined, string][] = [
      ['Action=DescribeInstances&InstanceId.1=%E0%A4%A', undefined, 'MalformedQueryString'],
      ['{"Action":"DescribeInstances"}', 'application/json', 'MalformedQueryString'],
      ['Version=2016-11-15', undefined, 'MissingAction'],
      ['Action=DescribeInstances&InstanceId.x=i-1', undefined, 'InvalidParameterValue'],
      ['Action=DescribeInstances&Filter.1.Value.1=a', undefined, 'MissingParameter'],
      ['Action=DescribeInstances&MaxResults=many', undefined, 'InvalidParameterValue'],
      [
        'Action=CreateTrafficMirrorSession&NetworkInterfaceId=eni-web1&TrafficMirrorTargetId=tmt-nlb&TrafficMirrorFilterId=tmf-1&SessionNumber=1.5',
        undefined,
        'InvalidParameterValue',
      ],
      [
        'Action=CreateTrafficMirrorSession&NetworkInterfaceId=eni-web1&TrafficMirrorTargetId=tmt-nlb&TrafficMirrorFilterId=tmf-1',
        undefined,
        'MissingParameter',
      ],
      ['Action=DeleteTrafficMirrorSession&TrafficMirrorSessionId=session-1', undefined, 'InvalidParameterValue'],
      ['Action=DescribeInstances&DryRun=maybe', undefined, 'InvalidParameterValue'],
    ];
    for (const [body, type, expected] of cases) {
      const { status, text } = await post(body, type);
      expect([body, status, code(text)]).toEqual([body, 400, expected]);
      expect(/<Message>[^<]{10,}<\/Message>/.test(text)).toBe(true);
    }
    expect((await post('Action=DescribeInstances')).status).toBe(200);
  });

  test('SNS errors use the ErrorResponse envelope with Type Sender', async () => {
    emulator = await startEmulator(baseSeed());
    const { status, text } = await post(
      'Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Anope&Message=hi',
    );
    expect(status).toBe(404);
    expect(text).toMatch(
      /<ErrorResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>NotFound<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/,
    );
  });

  test('clients configured only through env() reach the emulator', async () => {
    emulator = await startEmulator(baseSeed());
    const saved = { ...process.env };
    Object.assign(process.env, emulator.env());
    try {
      const ec2 = new EC2Client({});
      const sns = new SNSClient({});
      const instances = await ec2.send(new DescribeInstancesCommand({}));
      expect(instances.Reservations).toHaveLength(5);
      const topics = await sns.send(new ListTopicsCommand({}));
      expect(topics.Topics).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' }]);
      ec2.destroy();
      sns.destroy();
    } finally {
      for (const key of Object.keys(emulator.env())) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  test('arbitrary bodies are answered with XML and never a server error', async () => {
    emulator = await startEmulator(baseSeed());
    const key = fc.constantFrom(
      'Action',
      'Version',
      'InstanceId.1',
      'Filter.1.Name',
      'Filter.1.Value.1',
      'MaxResults',
      'NextToken',
      'SessionNumber',
      'NetworkInterfaceId',
      'TopicArn',
      'Message',
      'PublishBatchRequestEntries.member.1.Id',
      'x.0',
    );
    const value = fc.oneof(
      fc.constantFrom(
        'DescribeInstances',
        'CreateTrafficMirrorSession',
        'Publish',
        'PublishBatch',
        'ModifyTrafficMirrorSession',
        '2010-03-31',
        '2016-11-15',
        '%',
        '%zz',
        '-1',
        '5',
      ),
      fc.string(),
    );
    const body = fc
      .array(fc.tuple(key, value), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v.includes('%') ? v : encodeURIComponent(v)}`).join('&'));
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const { status, text: answer } = await post(text);
        expect(status).toBeLessThan(500);
        expect(answer.startsWith('<?xml')).toBe(true);
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});
