/**
 * Every EventBridge pattern in events/ against the events AWS documents: the AWS samples in events/
 * are shaped like AWS's events (envelope and registry schema, event-schema.ts), each pattern matches
 * its samples with an independent matcher (local/eventbridge/pattern.ts) and none of its near misses, and every
 * field a pattern names is one AWS sends. The patterns the packaged template holds are checked the
 * same way in validators.ts (registered by tests/template/package.slow.test.ts).
 *
 * AWS's documented examples the samples follow:
 * - EC2 Instance State-change Notification: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
 * - AWS API Call via CloudTrail: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ec2.html and the record
 *   fields of https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * - Step Functions Execution Status Change: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 * - ECS Task State Change: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from '../template/inspect.ts';
import { matchesPattern, patternPaths } from '../../local/eventbridge/pattern.ts';
import { awsEventProblems, unknownPatternFields } from './event-schema.ts';

type Event = Record<string, unknown>;
const dir = path.join(root, 'events');
const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Event;
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const patterns = files.filter((f) => f.endsWith('.pattern.json'));
const samples = files.filter((f) => !f.endsWith('.pattern.json'));
const awsSamples = samples.filter((f) => String(read(f).source).startsWith('aws.'));

/** The sample with `detail` fields changed (undefined removes one). */
function withDetail(file: string, change: Record<string, unknown>): Event {
  const event = read(file);
  const detail: Record<string, unknown> = { ...(event.detail as Record<string, unknown>), ...change };
  for (const [key, value] of Object.entries(change)) if (value === undefined) delete detail[key];
  return { ...event, detail };
}

describe("the matcher follows EventBridge's documented semantics", () => {
  const event = {
    source: 'aws.ec2',
    detail: { state: 'running', count: 5, tags: ['a', 'b'], nested: { key: 'Value' } },
  };
  test.each([
    ['a value in the list', { detail: { state: ['pending', 'running'] } }, true],
    ['no value in the list', { detail: { state: ['pending'] } }, false],
    ['any item of a list field', { detail: { tags: ['b'] } }, true],
    ['prefix', { source: [{ prefix: 'aws.' }] }, true],
    ['suffix', { detail: { state: [{ suffix: 'ing' }] } }, true],
    ['equals-ignore-case', { detail: { nested: { key: [{ 'equals-ignore-case': 'value' }] } } }, true],
    ['wildcard', { source: [{ wildcard: 'aws.*2' }] }, true],
    ['anything-but excludes the listed value', { detail: { state: [{ 'anything-but': ['running'] }] } }, false],
    ['anything-but of another value', { detail: { state: [{ 'anything-but': ['stopped'] }] } }, true],
    ['anything-but on an absent field', { detail: { missing: [{ 'anything-but': ['x'] }] } }, false],
    ['anything-but prefix', { source: [{ 'anything-but': { prefix: 'aws.' } }] }, false],
    ['numeric range', { detail: { count: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    ['numeric out of range', { detail: { count: [{ numeric: ['<', 5] }] } }, false],
    ['exists: false on an absent field', { detail: { errorCode: [{ exists: false }] } }, true],
    ['exists: false on a present field', { detail: { state: [{ exists: false }] } }, false],
    ['exists: true on an absent field', { detail: { errorCode: [{ exists: true }] } }, false],
    ['a field of a scalar', { detail: { state: { inner: ['x'] } } }, false],
    ['every field must match', { source: ['aws.ec2'], detail: { state: ['stopped'] } }, false],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  test('an operator it does not know is an error, not a silent miss', () => {
    expect(() => matchesPattern({ source: [{ cidr: '10.0.0.0/8' }] }, event)).toThrow(/cidr/);
    expect(() => matchesPattern({ $or: [] }, event)).toThrow(/\$or/);
  });
});

describe('AWS sample events in events/ are shaped like the events AWS sends', () => {
  test('there is a sample of every AWS event a pattern in events/ or the template listens to', () => {
    expect(awsSamples.map((f) => `${String(read(f).source)} / ${String(read(f)['detail-type'])}`).sort()).toEqual(
      expect.arrayContaining([
        'aws.ec2 / AWS API Call via CloudTrail',
        'aws.ec2 / EC2 Instance State-change Notification',
        'aws.ecs / ECS Task State Change',
        'aws.states / Step Functions Execution Status Change',
      ]),
    );
  });

  test.each(awsSamples)('%s', (file) => {
    expect(awsEventProblems(read(file))).toEqual([]);
  });

  test('the check finds a missing required field, a wrong type and a wrong envelope', () => {
    expect(awsEventProblems(withDetail('ec2-instance-running.json', { 'instance-id': undefined }))).toEqual([
      "detail.instance-id: required by AWS's schema, missing",
    ]);
    expect(awsEventProblems(withDetail('cloudtrail-attach-network-interface.json', { eventName: 7 }))).toEqual([
      'detail.eventName: expected a string, got 7',
    ]);
    expect(awsEventProblems({ ...read('ec2-instance-running.json'), resources: 'arn' })).toEqual([
      'resources: expected a array in every AWS event',
    ]);
    expect(
      awsEventProblems({ ...read('ec2-instance-running.json'), 'detail-type': 'EC2 Instance State Change' })[0],
    ).toMatch(/no AWS schema/);
  });
});

/** Per AWS pattern: the samples it must match, and near misses (real events it must not start on). */
const AWS_PATTERNS: Record<string, { matches: Event[]; misses: [string, Event][] }> = {
  'ec2-instance-running.pattern.json': {
    matches: [read('ec2-instance-running.json')],
    misses: [
      ['pending', withDetail('ec2-instance-running.json', { state: 'pending' })],
      ['terminated', read('ec2-instance-terminated.json')],
      ['a CloudTrail call', read('cloudtrail-attach-network-interface.json')],
    ],
  },
  'ec2-instance-stopped-or-terminated.pattern.json': {
    matches: [read('ec2-instance-terminated.json'), withDetail('ec2-instance-terminated.json', { state: 'stopped' })],
    misses: [
      ['running', read('ec2-instance-running.json')],
      ['stopping', withDetail('ec2-instance-terminated.json', { state: 'stopping' })],
      ['shutting-down', withDetail('ec2-instance-terminated.json', { state: 'shutting-down' })],
    ],
  },
  'cloudtrail-attach-network-interface.pattern.json': {
    matches: [read('cloudtrail-attach-network-interface.json')],
    misses: [
      ['a detach', read('cloudtrail-detach-network-interface.json')],
      [
        'a refused attach',
        withDetail('cloudtrail-attach-network-interface.json', {
          errorCode: 'Client.InvalidParameterValue',
          errorMessage: 'refused',
        }),
      ],
      [
        "another service's call",
        withDetail('cloudtrail-attach-network-interface.json', { eventSource: 'elasticloadbalancing.amazonaws.com' }),
      ],
    ],
  },
  'tag-change-on-instance.pattern.json': {
    matches: [read('tag-change-on-instance.json')],
    misses: [
      ['a volume', withDetail('tag-change-on-instance.json', { 'resource-type': 'volume' })],
      ['another service', withDetail('tag-change-on-instance.json', { service: 'rds', 'resource-type': 'db' })],
      ['a state change', read('ec2-instance-running.json')],
    ],
  },
  'cloudtrail-tags-changed.pattern.json': {
    matches: [read('cloudtrail-create-tags.json'), read('cloudtrail-delete-tags.json')],
    misses: [
      ['an attach', read('cloudtrail-attach-network-interface.json')],
      [
        'a refused CreateTags',
        withDetail('cloudtrail-create-tags.json', {
          errorCode: 'Client.UnauthorizedOperation',
          errorMessage: 'denied',
        }),
      ],
      ["Tags' own event", read('tag-change-on-instance.json')],
    ],
  },
  'cloudtrail-traffic-mirror-session-changed.pattern.json': {
    matches: [
      read('cloudtrail-delete-traffic-mirror-session.json'),
      read('cloudtrail-modify-traffic-mirror-session.json'),
    ],
    misses: [
      ['a detach', read('cloudtrail-detach-network-interface.json')],
      [
        'a session created',
        withDetail('cloudtrail-delete-traffic-mirror-session.json', { eventName: 'CreateTrafficMirrorSession' }),
      ],
      [
        'a refused delete',
        withDetail('cloudtrail-delete-traffic-mirror-session.json', {
          errorCode: 'Client.UnauthorizedOperation',
          errorMessage: 'denied',
        }),
      ],
    ],
  },
  'cloudtrail-detach-network-interface.pattern.json': {
    matches: [read('cloudtrail-detach-network-interface.json')],
    misses: [
      ['an attach', read('cloudtrail-attach-network-interface.json')],
      [
        'a refused detach',
        withDetail('cloudtrail-detach-network-interface.json', {
          errorCode: 'Client.UnauthorizedOperation',
          errorMessage: 'denied',
        }),
      ],
    ],
  },
  'cloudtrail-create-load-balancer-interface.pattern.json': {
    matches: [read('cloudtrail-create-load-balancer-interface.json')],
    misses: [
      ['an attach', read('cloudtrail-attach-network-interface.json')],
      [
        'an ENI someone else created',
        withDetail('cloudtrail-create-load-balancer-interface.json', {
          requestParameters: { subnetId: 'subnet-0a1b2c3d4e5f60001', description: 'my ENI' },
        }),
      ],
      [
        'a refused create',
        withDetail('cloudtrail-create-load-balancer-interface.json', {
          errorCode: 'Client.UnauthorizedOperation',
          errorMessage: 'denied',
        }),
      ],
    ],
  },
  'ecs-task-running.pattern.json': {
    matches: [read('ecs-task-running.json'), withDetail('ecs-task-running.json', { attachments: [] })],
    misses: [
      ['a Fargate task', withDetail('ecs-task-running.json', { launchType: 'FARGATE' })],
      ['a task on ECS Managed Instances', withDetail('ecs-task-running.json', { launchType: 'MANAGED_INSTANCES' })],
      ['a task not running yet', withDetail('ecs-task-running.json', { lastStatus: 'PROVISIONING' })],
      [
        'a running task being stopped',
        withDetail('ecs-task-running.json', { desiredStatus: 'STOPPED', stoppingAt: '2026-11-11T22:20:00Z' }),
      ],
      ['an EC2 state change', read('ec2-instance-running.json')],
    ],
  },
};

describe('patterns in events/', () => {
  test('every AWS pattern is listed here with its samples and near misses', () => {
    expect(patterns.filter((f) => (read(f).source as string[]).some((s) => s.startsWith('aws.'))).sort()).toEqual(
      Object.keys(AWS_PATTERNS).sort(),
    );
  });

  describe.each(Object.entries(AWS_PATTERNS))('%s', (file, { matches, misses }) => {
    const pattern = read(file);

    test('names only fields AWS sends', () => {
      const [source] = pattern.source as string[];
      for (const detailType of pattern['detail-type'] as string[])
        expect(unknownPatternFields(patternPaths(pattern), source!, detailType)).toEqual([]);
    });

    test('matches its samples', () => {
      for (const event of matches) expect(awsEventProblems(event)).toEqual([]);
      for (const event of matches) expect(matchesPattern(pattern, event)).toBe(true);
    });

    test.each(misses)('does not match %s', (_name, event) => {
      expect(matchesPattern(pattern, event)).toBe(false);
    });
  });

  test('a pattern on a field AWS does not send is found', () => {
    expect(unknownPatternFields([['detail', 'State']], 'aws.ec2', 'EC2 Instance State-change Notification')).toEqual([
      'detail.State',
    ]);
    expect(
      unknownPatternFields(
        [['detail', 'requestParameters', 'networkInterfaceId']],
        'aws.ec2',
        'AWS API Call via CloudTrail',
      ),
    ).toEqual([]);
  });

  test.each(patterns.filter((f) => !Object.hasOwn(AWS_PATTERNS, f)))(
    "%s (autotap's own events) matches some of autotap's samples and no AWS event",
    (file) => {
      const pattern = read(file);
      expect(samples.filter((f) => !awsSamples.includes(f) && matchesPattern(pattern, read(f))).length).toBeGreaterThan(
        0,
      );
      expect(awsSamples.filter((f) => matchesPattern(pattern, read(f)))).toEqual([]);
    },
  );
});
