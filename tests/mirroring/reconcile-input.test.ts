import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { InvalidInput } from '../../src/mirroring/input.ts';
import { normalizeReconcileInput } from '../../src/mirroring/reconcile-input.ts';

const tagChange = () =>
  JSON.parse(readFileSync(new URL('../../events/tag-change-on-instance.json', import.meta.url), 'utf8')) as {
    resources: string[];
    detail: Record<string, unknown>;
  };

function messageOf(input: unknown): string {
  try {
    normalizeReconcileInput(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return (error as Error).message;
  }
  throw new Error('expected InvalidInput');
}

describe('reconcile input', () => {
  test('a tag change of an instance (events/tag-change-on-instance.json) asks about that instance, from its ARN', () => {
    // ...in the account and Region it happened in, which an organization's reconcile acts in.
    expect(normalizeReconcileInput(tagChange())).toEqual({
      dryRun: false,
      vpcIds: [],
      instanceIds: ['i-0a1b2c3d4e5f60001'],
      place: { accountId: '123456789012', region: 'us-east-1' },
    });
    const inChina = { ...tagChange(), resources: ['arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0c3'] };
    expect(normalizeReconcileInput(inChina).instanceIds).toEqual(['i-0c3']);
  });

  test('the schedule and a bare console start are the whole account (no instanceIds at all)', () => {
    // The schedule's envelope names the central account: it still covers every place.
    const schedule = {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      account: '123456789012',
      region: 'us-east-1',
    };
    expect(normalizeReconcileInput(schedule)).toEqual({ dryRun: false, vpcIds: [] });
    expect(normalizeReconcileInput({})).toEqual({ dryRun: false, vpcIds: [] });
  });

  test('a normalized request, as the next round gets it, is accepted as it is; instanceIds by hand', () => {
    const first = normalizeReconcileInput(tagChange());
    expect(normalizeReconcileInput(JSON.parse(JSON.stringify(first)))).toEqual(first);
    expect(normalizeReconcileInput({ instanceIds: ['i-0a1', 'i-0a1'], dryRun: true })).toEqual({
      dryRun: true,
      vpcIds: [],
      instanceIds: ['i-0a1'],
    });
  });

  test('bad input names the field and what was expected', () => {
    const event = tagChange();
    expect(messageOf({ ...event, detail: { ...event.detail, 'resource-type': 'volume' } })).toContain(
      'detail.resource-type: expected "instance"',
    );
    expect(messageOf({ ...event, resources: ['arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1'] })).toContain(
      'resources: expected an EC2 instance ARN (arn:aws:ec2:...:instance/i-...)',
    );
    expect(messageOf({ ...event, resources: [] })).toContain('resources');
    expect(messageOf({ instanceIds: ['web-1'] })).toContain('instanceIds[0]');
    expect(messageOf({ instanceIds: Array.from({ length: 1001 }, (_, i) => `i-${i.toString(16)}`) })).toContain(
      'instanceIds',
    );
  });
});
