import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.ts';
import { InvalidInput } from '../../src/mirroring/input.ts';
import {
  ALL_KEYS,
  coalesceTagChanges,
  parseTagChange,
  reconcileExecutionName,
  scopeTagKeys,
  type QueuedTagChange,
} from '../../src/mirroring/tag-changes.ts';

const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const withDetail = (file: string, change: Record<string, unknown>) => {
  const event = sample(file);
  return { ...event, detail: { ...(event.detail as object), ...change } };
};

describe('a queued tag event names its instances and keys', () => {
  test('Tag Change on Resource: the instance of its ARN and the changed keys', () => {
    expect(parseTagChange(sample('tag-change-on-instance.json'))).toEqual({
      instanceIds: ['i-0a1b2c3d4e5f60001'],
      keys: ['autotap:mirror'],
      place: { accountId: '123456789012', region: 'us-east-1' },
    });
  });

  test('CreateTags: only the instances among the resources tagged (not the volume), and the keys', () => {
    expect(parseTagChange(sample('cloudtrail-create-tags.json'))).toEqual({
      instanceIds: ['i-0a1b2c3d4e5f60001'],
      keys: ['autotap:mirror', 'owner'],
      place: { accountId: '123456789012', region: 'us-east-1' },
    });
  });

  test('DeleteTags without tagSet removes every key', () => {
    const event = sample('cloudtrail-delete-tags.json');
    const detail = event.detail as { requestParameters: Record<string, unknown> };
    const { tagSet: _dropped, ...rest } = detail.requestParameters;
    expect(parseTagChange({ ...event, detail: { ...detail, requestParameters: rest } }).keys).toEqual([ALL_KEYS]);
  });

  test.each([
    [
      'a refused call',
      withDetail('cloudtrail-create-tags.json', { errorCode: 'Client.UnauthorizedOperation' }),
      /errorCode: expected a successful call/,
    ],
    [
      'another call',
      withDetail('cloudtrail-create-tags.json', { eventName: 'RunInstances' }),
      /eventName: expected "CreateTags" or "DeleteTags"/,
    ],
    [
      'no resourcesSet',
      withDetail('cloudtrail-create-tags.json', { requestParameters: {} }),
      /requestParameters\.resourcesSet/,
    ],
    [
      'no changed-tag-keys',
      withDetail('tag-change-on-instance.json', { 'changed-tag-keys': undefined }),
      /detail\.changed-tag-keys/,
    ],
    ['another source', { source: 'aws.s3', 'detail-type': 'Object Created' }, /source: expected "aws.tag"/],
  ])('%s is refused, naming the field', (_name, event, message) => {
    expect(() => parseTagChange(event)).toThrow(InvalidInput);
    expect(() => parseTagChange(event)).toThrow(message);
  });
});

test("the scope's tag keys: include and exclude keys, or the opt-out key when there are none", () => {
  const scopeOf = (scope: Record<string, unknown>) =>
    parseConfig({ mirroring: { filterId: 'tmf-0a1', targets: [{ id: 'tmt-0a1' }], scope } }, 'test').mirroring.scope;
  expect(scopeTagKeys(scopeOf({}))).toEqual(['autotap:mirror']);
  expect(scopeTagKeys(scopeOf({ includeTags: { team: 'web' }, excludeTags: { env: 'dev' } }))).toEqual(['env', 'team']);
  expect(scopeTagKeys(scopeOf({ excludeTags: {} }))).toEqual(['autotap:mirror']);
});

describe('a batch is coalesced: each instance once', () => {
  const msg = (messageId: string, instanceIds: string[], keys = ['autotap:mirror']): QueuedTagChange => ({
    messageId,
    change: { instanceIds, keys },
  });
  const keys = ['autotap:mirror'];

  test('a storm of 3,000 events over 1,200 instances: 1,200 instances in two reconciles, none twice', () => {
    const ids = Array.from({ length: 1200 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const messages = Array.from({ length: 3000 }, (_, n) => msg(`m${n}`, [ids[n % 1200]!]));
    const { reconciles, ignored } = coalesceTagChanges(messages, keys);
    expect(ignored).toEqual([]);
    expect(reconciles.map((r) => r.instanceIds.length)).toEqual([1000, 200]);
    expect(new Set(reconciles.flatMap((r) => r.instanceIds)).size).toBe(1200);
    // Each message answers to the reconcile of its instance: m0 (instance 0) to the first, m1000 to the second.
    expect(reconciles[0]!.messageIds).toContain('m1200');
    expect(reconciles[1]!.messageIds).toContain('m1000');
    expect(reconciles[0]!.messageIds).not.toContain('m1000');
  });

  test('a message over two reconciles answers to both; one of other keys or no instance is ignored', () => {
    const { reconciles, ignored } = coalesceTagChanges(
      [msg('a', ['i-01', 'i-02']), msg('b', ['i-03', 'i-01']), msg('c', ['i-04'], ['owner']), msg('d', [])],
      keys,
      2,
    );
    expect(reconciles).toEqual([
      { instanceIds: ['i-01', 'i-02'], messageIds: ['a', 'b'] },
      { instanceIds: ['i-03'], messageIds: ['b'] },
    ]);
    expect(ignored).toEqual(['c', 'd']);
  });

  test('an organization: each account and Region gets its own reconciles, the same instance id apart', () => {
    const at = (accountId: string, region: string) => ({ accountId, region });
    const placed = (messageId: string, ids: string[], place: { accountId: string; region: string }) => ({
      messageId,
      change: { instanceIds: ids, keys, place },
    });
    const { reconciles } = coalesceTagChanges(
      [
        placed('a', ['i-01', 'i-02'], at('111111111111', 'us-east-1')),
        placed('b', ['i-01'], at('222222222222', 'us-east-1')),
        placed('c', ['i-03'], at('111111111111', 'us-east-1')),
        placed('d', ['i-04'], at('111111111111', 'eu-west-1')),
      ],
      keys,
      2,
    );
    expect(reconciles).toEqual([
      { instanceIds: ['i-01', 'i-02'], messageIds: ['a'], place: at('111111111111', 'us-east-1') },
      { instanceIds: ['i-01'], messageIds: ['b'], place: at('222222222222', 'us-east-1') },
      { instanceIds: ['i-03'], messageIds: ['c'], place: at('111111111111', 'us-east-1') },
      { instanceIds: ['i-04'], messageIds: ['d'], place: at('111111111111', 'eu-west-1') },
    ]);
    // The same messages and instances in another place are another execution.
    expect(reconcileExecutionName(reconciles[1]!)).not.toBe(
      reconcileExecutionName({ instanceIds: ['i-01'], messageIds: ['b'] }),
    );
  });

  test('every key removed (DeleteTags without tags) can change scope', () => {
    expect(coalesceTagChanges([msg('a', ['i-01'], [ALL_KEYS])], keys).reconciles).toHaveLength(1);
  });

  test('the execution name: the same messages give the same name, other messages another', () => {
    const one = { instanceIds: ['i-01'], messageIds: ['a', 'b'] };
    expect(reconcileExecutionName(one)).toBe(reconcileExecutionName({ instanceIds: ['i-01'], messageIds: ['b', 'a'] }));
    expect(reconcileExecutionName(one)).not.toBe(reconcileExecutionName({ instanceIds: ['i-01'], messageIds: ['a'] }));
    expect(reconcileExecutionName(one)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});
