import { readFileSync } from 'node:fs';
import type { InvalidInput } from '../../src/mirroring/input.ts';
import {
  MAX_INSTANCE_IDS_PER_EXECUTION,
  MAX_INTERFACES_PER_EXECUTION,
  MAX_INTERFACES_PER_INSTANCE,
  normalizeInput,
} from '../../src/mirroring/input.ts';

const runningEvent = JSON.parse(
  readFileSync(new URL('../../events/ec2-instance-running.json', import.meta.url), 'utf8'),
) as {
  account: string;
  region: string;
  detail: Record<string, unknown>;
};

function errorOf(input: unknown): InvalidInput {
  try {
    normalizeInput(input);
  } catch (error) {
    return error as InvalidInput;
  }
  throw new Error('expected InvalidInput');
}

describe('normalizeInput', () => {
  it('takes the instance from an EC2 running event', () => {
    expect(normalizeInput(runningEvent)).toEqual({
      instanceIds: ['i-1234567890abcdef0'],
      networkInterfaceIds: [],
      dryRun: false,
      trigger: 'instance-running',
      place: { accountId: String(runningEvent.account), region: String(runningEvent.region) },
    });
  });

  it('names the account and Region of an event, and of input typed by hand only when it gives them', () => {
    const member = { ...runningEvent, account: '222222222222', region: 'eu-west-1' };
    expect(normalizeInput(member).place).toEqual({ accountId: '222222222222', region: 'eu-west-1' });
    expect(normalizeInput({ instanceId: 'i-0abc' }).place).toBeUndefined();
    const place = { accountId: '222222222222', region: 'eu-west-1' };
    expect(normalizeInput({ instanceId: 'i-0abc', place }).place).toEqual(place);
    expect(() => normalizeInput({ instanceId: 'i-0abc', place: { accountId: '2222', region: 'eu-west-1' } })).toThrow(
      'place.accountId: expected an AWS account ID of 12 digits',
    );
  });

  it('accepts each manual console form, with dryRun', () => {
    expect(normalizeInput({ instanceIds: ['i-0abc', 'i-0abc', 'i-0def'] }).instanceIds).toEqual(['i-0abc', 'i-0def']);
    expect(normalizeInput({ instanceId: 'i-0abc', dryRun: true })).toEqual({
      instanceIds: ['i-0abc'],
      networkInterfaceIds: [],
      dryRun: true,
      trigger: 'manual',
    });
    expect(normalizeInput({ networkInterfaceIds: ['eni-0abc'] }).networkInterfaceIds).toEqual(['eni-0abc']);
  });

  it('accepts a successful CloudTrail AttachNetworkInterface call', () => {
    const event = {
      source: 'aws.ec2',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventName: 'AttachNetworkInterface',
        requestParameters: { networkInterfaceId: 'eni-0abc', instanceId: 'i-0abc', deviceIndex: 1 },
      },
    };
    expect(normalizeInput(event)).toMatchObject({ networkInterfaceIds: ['eni-0abc'], trigger: 'interface-attached' });
    const failed = { ...event, detail: { ...event.detail, errorCode: 'Client.UnauthorizedOperation' } };
    expect(errorOf(failed).message).toContain('detail.errorCode');
  });

  describe('an ECS task state change (mirroring.sources.ecsTasks)', () => {
    const task = JSON.parse(readFileSync(new URL('../../events/ecs-task-running.json', import.meta.url), 'utf8')) as {
      account: string;
      region: string;
      detail: { attachments: { type: string; details: { name: string; value: string }[] }[] } & Record<string, unknown>;
    };
    const withDetail = (detail: Record<string, unknown>) => ({ ...task, detail: { ...task.detail, ...detail } });
    const [eniAttachment] = task.detail.attachments;

    it("names the task's ENI from its ENI attachment, of either documented type", () => {
      expect(normalizeInput(task)).toEqual({
        instanceIds: [],
        networkInterfaceIds: ['eni-0ec5000000000001'],
        dryRun: false,
        trigger: 'task-running',
        place: { accountId: String(task.account), region: String(task.region) },
      });
      const described = withDetail({ attachments: [{ ...eniAttachment, type: 'ElasticNetworkInterface' }] });
      expect(normalizeInput(described).networkInterfaceIds).toEqual(['eni-0ec5000000000001']);
    });

    it('reads the details as a list (as ECS documents them) or as one object (as the schema registry has them)', () => {
      const single = { ...eniAttachment, details: { name: 'networkInterfaceId', value: 'eni-0ec5000000000009' } };
      expect(normalizeInput(withDetail({ attachments: [single] })).networkInterfaceIds).toEqual([
        'eni-0ec5000000000009',
      ]);
    });

    it('asks for nothing for a task without an ENI (bridge or host mode)', () => {
      expect(normalizeInput(withDetail({ attachments: [] })).networkInterfaceIds).toEqual([]);
      expect(normalizeInput(withDetail({ attachments: undefined })).networkInterfaceIds).toEqual([]);
      const other = { type: 'ServiceConnect', details: [] };
      expect(normalizeInput(withDetail({ attachments: [other] })).networkInterfaceIds).toEqual([]);
    });

    it('refuses a Fargate task, a task not running and an ENI attachment without its ENI, naming the field', () => {
      expect(errorOf(withDetail({ launchType: 'FARGATE' })).message).toMatch(/^detail\.launchType: expected "EC2"/);
      expect(errorOf(withDetail({ lastStatus: 'STOPPED' })).message).toMatch(/^detail\.lastStatus: expected "RUNNING"/);
      const noEni = {
        ...eniAttachment,
        details: eniAttachment!.details.filter((d) => d.name !== 'networkInterfaceId'),
      };
      expect(errorOf(withDetail({ attachments: [noEni] })).message).toBe(
        'detail.attachments[0].details: expected a networkInterfaceId detail: a running task names its ENI',
      );
      const badEni = { ...eniAttachment, details: [{ name: 'networkInterfaceId', value: 'eni-XYZ' }] };
      expect(errorOf(withDetail({ attachments: [badEni] })).message).toBe(
        'detail.attachments[0].details: "eni-XYZ" is not a network interface id (eni-...)',
      );
    });
  });

  it('names the field and the expected shape of bad input', () => {
    const bad = errorOf({ instanceIds: ['i-0abc', 'abc'] });
    expect(bad.name).toBe('InvalidInput');
    expect(bad.message).toBe('instanceIds[1]: "abc" is not an instance id (i-...)');
    expect(errorOf({ instanceID: 'i-0abc' }).message).toContain('instanceID');
    expect(errorOf({}).message).toContain('{"instanceIds": ["i-..."]}');
    expect(errorOf({ instanceId: 'i-0abc', dryRun: 'yes' }).message).toBe('dryRun: expected true or false');
    expect(errorOf([]).message).toContain('(root)');
    expect(errorOf({ ...runningEvent, detail: { ...runningEvent.detail, state: 'stopped' } }).message).toContain(
      'detail.state',
    );
  });

  it('refuses more ids than one execution carries, naming the limit', () => {
    const instances = (n: number) => Array.from({ length: n }, (_, i) => `i-${i.toString(16)}`);
    const enis = (n: number) => Array.from({ length: n }, (_, i) => `eni-${i.toString(16)}`);
    expect(normalizeInput({ instanceIds: instances(MAX_INSTANCE_IDS_PER_EXECUTION) }).instanceIds).toHaveLength(
      MAX_INSTANCE_IDS_PER_EXECUTION,
    );
    expect(
      normalizeInput({ networkInterfaceIds: enis(MAX_INTERFACES_PER_EXECUTION) }).networkInterfaceIds,
    ).toHaveLength(MAX_INTERFACES_PER_EXECUTION);
    const tooMany = errorOf({ instanceIds: instances(MAX_INSTANCE_IDS_PER_EXECUTION + 1) }).message;
    expect(tooMany).toContain('instanceIds');
    expect(tooMany).toContain(
      `at most ${MAX_INSTANCE_IDS_PER_EXECUTION} instance ids or ${MAX_INTERFACES_PER_EXECUTION} network interface ids`,
    );
    expect(tooMany).toContain("Step Functions' 256 KiB");
    // An instance id counts for the most ENIs an instance can have, an ENI id for one.
    expect(
      errorOf({
        instanceIds: instances(1),
        networkInterfaceIds: enis(MAX_INTERFACES_PER_EXECUTION - MAX_INTERFACES_PER_INSTANCE + 1),
      }).message,
    ).toContain('counting');
  });
});
