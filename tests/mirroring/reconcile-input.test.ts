import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { InvalidInput } from '../../src/mirroring/input.ts';
import { normalizeReconcileInput } from '../../src/mirroring/reconcile-input.ts';

const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as {
    detail: Record<string, unknown>;
  };
const withResources = (file: string, ids: string[]) => {
  const event = sample(file);
  return {
    ...event,
    detail: {
      ...event.detail,
      requestParameters: { resourcesSet: { items: ids.map((resourceId) => ({ resourceId })) } },
    },
  };
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
  test.each(['cloudtrail-create-tags.json', 'cloudtrail-delete-tags.json'])(
    'a tag change (events/%s) asks about the instances it tagged, nothing else',
    (file) => {
      expect(normalizeReconcileInput(sample(file))).toEqual({
        dryRun: false,
        vpcIds: [],
        instanceIds: ['i-0a1b2c3d4e5f60001'],
      });
    },
  );

  test('a call tagging many resources names each instance once; volumes and ENIs are not instances', () => {
    const event = withResources('cloudtrail-create-tags.json', ['i-0a1', 'vol-0b2', 'i-0c3', 'i-0a1', 'eni-0d4']);
    expect(normalizeReconcileInput(event).instanceIds).toEqual(['i-0a1', 'i-0c3']);
  });

  test('a tag change of no instance looks at no instance, not at the whole account', () => {
    const request = normalizeReconcileInput(withResources('cloudtrail-create-tags.json', ['vol-0b2']));
    expect(request.instanceIds).toEqual([]);
    // The schedule and a bare console start stay the whole account (no instanceIds at all).
    expect(normalizeReconcileInput({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toEqual({
      dryRun: false,
      vpcIds: [],
    });
    expect(normalizeReconcileInput({})).toEqual({ dryRun: false, vpcIds: [] });
  });

  test('a normalized request, as the next round gets it, is accepted as it is', () => {
    const first = normalizeReconcileInput(sample('cloudtrail-create-tags.json'));
    expect(normalizeReconcileInput(JSON.parse(JSON.stringify(first)))).toEqual(first);
    expect(normalizeReconcileInput({ instanceIds: ['i-0a1'], dryRun: true })).toEqual({
      dryRun: true,
      vpcIds: [],
      instanceIds: ['i-0a1'],
    });
  });

  test('bad input names the field and what was expected', () => {
    const refused = sample('cloudtrail-create-tags.json');
    expect(
      messageOf({ ...refused, detail: { ...refused.detail, errorCode: 'Client.UnauthorizedOperation' } }),
    ).toContain('detail.errorCode: expected a successful call (no errorCode)');
    expect(messageOf({ ...refused, detail: { ...refused.detail, eventName: 'RunInstances' } })).toContain(
      'detail.eventName: expected "CreateTags" or "DeleteTags"',
    );
    expect(messageOf({ ...refused, detail: { ...refused.detail, requestParameters: {} } })).toContain(
      'detail.requestParameters.resourcesSet',
    );
    expect(messageOf({ instanceIds: ['web-1'] })).toContain('instanceIds[0]');
  });
});
