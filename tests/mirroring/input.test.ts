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
    });
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
