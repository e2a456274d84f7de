import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { InvalidInput } from '../../src/mirroring/input.ts';
import { normalizeReconcileInput } from '../../src/mirroring/reconcile-input.ts';
import {
  describeTamper,
  parseTamperCall,
  resolveTamper,
  tamperRequest,
  type TamperPorts,
} from '../../src/mirroring/tamper.ts';

const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const deleted = sample('cloudtrail-delete-traffic-mirror-session.json');
const modified = sample('cloudtrail-modify-traffic-mirror-session.json');
const withDetail = (event: Record<string, unknown>, change: Record<string, unknown>) => ({
  ...event,
  detail: { ...(event.detail as object), ...change },
});

describe('parseTamperCall', () => {
  test('the sample delete: the session, who, when, from where', () => {
    expect(parseTamperCall(deleted)).toEqual({
      eventName: 'DeleteTrafficMirrorSession',
      trafficMirrorSessionId: 'tms-0a1b2c3d4e5f60001',
      by: 'arn:aws:sts::123456789012:assumed-role/Ops/ops-session',
      identityType: 'AssumedRole',
      at: '2026-11-11T22:10:00Z',
      sourceIPAddress: '203.0.113.10',
      userAgent: 'aws-cli/2.17.0',
      changes: {},
    });
  });

  test('the sample modify: what it asked for, the session id aside', () => {
    expect(parseTamperCall(modified).changes).toEqual({
      trafficMirrorTargetId: 'tmt-0f9e8d7c6b5a40001',
      packetLength: '128',
    });
  });

  test('flat request parameters (camelCase, no wrapper) read the same', () => {
    const flat = withDetail(modified, {
      requestParameters: {
        trafficMirrorSessionId: 'tms-0a1',
        sessionNumber: 4,
        removeFields: ['packet-length'],
        dryRun: false,
      },
    });
    expect(parseTamperCall(flat)).toMatchObject({
      trafficMirrorSessionId: 'tms-0a1',
      changes: { sessionNumber: '4', removeFields: '["packet-length"]' },
    });
  });

  test('the session id may come from the response alone', () => {
    const event = withDetail(deleted, {
      requestParameters: {},
      responseElements: { DeleteTrafficMirrorSessionResponse: { trafficMirrorSessionId: 'tms-0b2' } },
    });
    expect(parseTamperCall(event).trafficMirrorSessionId).toBe('tms-0b2');
  });

  test('an identity without an ARN is named by its type and principal', () => {
    const event = withDetail(deleted, { userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } });
    expect(parseTamperCall(event).by).toBe('AWSService:ec2.amazonaws.com');
  });

  test.each([
    ['a failed call', { errorCode: 'Client.UnauthorizedOperation' }, /detail\.errorCode: expected a successful call/],
    ['no time', { eventTime: undefined }, /detail\.eventTime: expected the time of the call/],
    [
      'an id that is not a session',
      { requestParameters: { trafficMirrorSessionId: 'tmt-0a1' } },
      /trafficMirrorSessionId: expected a traffic mirror session id \(tms-...\), got "tmt-0a1"/,
    ],
    [
      'another call',
      { eventName: 'DeleteTrafficMirrorTarget' },
      /detail\.eventName: expected one of DeleteTrafficMirrorSession, ModifyTrafficMirrorSession/,
    ],
  ])('%s is refused, naming the field', (_name, change, message) => {
    expect(() => parseTamperCall(withDetail(deleted, change))).toThrow(InvalidInput);
    expect(() => parseTamperCall(withDetail(deleted, change))).toThrow(message);
  });
});

describe('resolveTamper and the reconcile it asks for', () => {
  const ports = (over: Partial<TamperPorts> = {}): TamperPorts => ({
    lookup: async () => undefined,
    describeSession: async () => undefined,
    ...over,
  });
  const record = {
    trafficMirrorSessionId: 'tms-0a1b2c3d4e5f60001',
    networkInterfaceId: 'eni-0a1',
    instanceId: 'i-0a1',
    trafficMirrorTargetId: 'tmt-0a1',
    sessionNumber: 1,
    workflow: 'mirror-instances' as const,
    reason: 'instance-running',
    recordedAt: '2026-12-06T00:00:00Z',
  };

  test('a delete finds its instance in the registry; restore acts, report only plans', async () => {
    const call = parseTamperCall(deleted);
    const restore = await resolveTamper(call, 'restore', ports({ lookup: async () => record }));
    expect(tamperRequest(restore)).toMatchObject({ dryRun: false, instanceIds: ['i-0a1'] });
    const report = await resolveTamper(call, 'report', ports({ lookup: async () => record }));
    expect(tamperRequest(report)).toMatchObject({ dryRun: true, instanceIds: ['i-0a1'] });
  });

  test("a load balancer's session, of no instance, asks for a round over the whole account", async () => {
    const call = parseTamperCall(deleted);
    const restore = await resolveTamper(
      call,
      'restore',
      ports({ lookup: async () => ({ ...record, instanceId: '' }) }),
    );
    const request = tamperRequest(restore);
    expect(request).toMatchObject({ dryRun: false, vpcIds: [] });
    expect(request.instanceIds).toBeUndefined();
    const ignored = await resolveTamper(call, 'restore', ports());
    expect(tamperRequest(ignored).instanceIds).toEqual([]);
  });

  test('a modify finds its instance on the session, and only on a session autotap manages', async () => {
    const call = parseTamperCall(modified);
    const session = {
      trafficMirrorSessionId: call.trafficMirrorSessionId,
      networkInterfaceId: 'eni-0a1',
      trafficMirrorTargetId: 'tmt-0f9',
      trafficMirrorFilterId: 'tmf-0f1',
      sessionNumber: 1,
    };
    const ours = await resolveTamper(
      call,
      'restore',
      ports({
        describeSession: async () => ({
          ...session,
          tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a1' },
        }),
      }),
    );
    expect(ours).toMatchObject({ instanceId: 'i-0a1', networkInterfaceId: 'eni-0a1' });
    const theirs = await resolveTamper(
      call,
      'restore',
      ports({ describeSession: async () => ({ ...session, tags: {} }) }),
    );
    expect(theirs.ignored).toBe('not-managed-by-autotap');
    expect(tamperRequest(theirs).instanceIds).toEqual([]);
  });

  test('the request survives the rounds as it is, and the raw event concerns no instance until looked up', async () => {
    const raw = normalizeReconcileInput(deleted);
    expect(raw).toMatchObject({
      instanceIds: [],
      tamper: { resolved: false, trafficMirrorSessionId: 'tms-0a1b2c3d4e5f60001' },
    });
    const resolved = tamperRequest(
      await resolveTamper(parseTamperCall(deleted), 'restore', ports({ lookup: async () => record })),
    );
    expect(normalizeReconcileInput(JSON.parse(JSON.stringify(resolved)))).toEqual(resolved);
  });

  test('the ops paragraph says who, what, when and what was done', async () => {
    const tamper = await resolveTamper(
      parseTamperCall(modified),
      'report',
      ports({
        describeSession: async () => ({
          trafficMirrorSessionId: 'tms-0a1b2c3d4e5f60001',
          networkInterfaceId: 'eni-0a1',
          trafficMirrorTargetId: 'tmt-0f9e8d7c6b5a40001',
          trafficMirrorFilterId: 'tmf-0f1',
          sessionNumber: 1,
          tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a1' },
        }),
      }),
    );
    expect(describeTamper(tamper)).toEqual([
      'Session tms-0a1b2c3d4e5f60001 (eni-0a1 of i-0a1, target tmt-0f9e8d7c6b5a40001) was modified by arn:aws:sts::123456789012:assumed-role/Ops/ops-session (AssumedRole) at 2026-11-11T22:12:00Z from 203.0.113.10 with aws-cli/2.17.0.',
      'Changes asked for: trafficMirrorTargetId=tmt-0f9e8d7c6b5a40001, packetLength=128.',
      'autotap changed nothing (onTamper: report); the actions below are what a reconcile would do.',
      'To remove an instance from mirroring for good, tag it autotap:mirror=false (or your excludeTags).',
    ]);
  });

  test('a restore with nothing to do says why the session does not come back', async () => {
    const tamper = await resolveTamper(parseTamperCall(deleted), 'restore', ports({ lookup: async () => record }));
    expect(describeTamper(tamper, false)).toContain(
      'Nothing to restore: the instance is not running or no longer in scope, so it gets no session.',
    );
    expect(describeTamper(tamper, true)).toContain(
      'autotap restored what its configuration asks for (onTamper: restore); the actions are below.',
    );
  });
});
