import { ec2DomainError } from '../../src/aws/ec2.ts';
import {
  attachInterface,
  MAX_ATTACH_ATTEMPTS,
  VERIFY_PAUSES_MS,
  type AttachPorts,
} from '../../src/mirroring/attach.ts';
import type { Attachment, CreateSessionRequest, Session } from '../../src/mirroring/types.ts';
import { mirroringWith, session } from './fixtures.ts';

const attachment: Attachment = {
  instanceId: 'i-01',
  networkInterfaceId: 'eni-01',
  trafficMirrorTargetId: 'tmt-01',
  alternativeTargetIds: ['tmt-02'],
  trafficMirrorFilterId: 'tmf-01',
  sessionNumber: 1,
  usedSessionNumbers: [],
  dryRun: false,
};
const config = mirroringWith();

/** What the EC2 adapter throws for an error response with this code. */
function ec2Error(name: string, message = name): Error {
  return ec2DomainError(Object.assign(new Error(message), { name }), 'CreateTrafficMirrorSession');
}

/**
 * A scripted EC2: each create answers with the next error, or succeeds when the script runs out.
 * Describes show `existing` and what was created; `replayed` ids are answered by a create but no
 * longer exist (a token replaying a deleted session).
 */
function ports(
  script: Error[],
  existing: Session[] = [],
  replayed: string[] = [],
): AttachPorts & { requests: CreateSessionRequest[]; sleeps: number[] } {
  const requests: CreateSessionRequest[] = [];
  const created: Session[] = [];
  const sleeps: number[] = [];
  return {
    requests,
    sleeps,
    async createSession(request) {
      requests.push(request);
      const error = script.shift();
      if (error) throw error;
      const ghost = replayed.shift();
      const made = session({
        networkInterfaceId: request.networkInterfaceId,
        trafficMirrorTargetId: request.trafficMirrorTargetId,
        sessionNumber: request.sessionNumber,
        trafficMirrorSessionId: ghost ?? 'tms-new',
        tags: request.tags,
      });
      if (!ghost) created.push(made);
      return made;
    },
    async describeSessionsOfInterfaces() {
      return [...existing, ...created];
    },
    async sleep(ms) {
      sleeps.push(ms);
    },
  };
}

describe('attachInterface', () => {
  it('creates the planned session with autotap tags and a deterministic token', async () => {
    const p = ports([]);
    const result = await attachInterface(attachment, config, p);
    expect(result).toEqual({
      instanceId: 'i-01',
      networkInterfaceId: 'eni-01',
      outcome: 'created',
      sessionNumber: 1,
      trafficMirrorTargetId: 'tmt-01',
      trafficMirrorSessionId: 'tms-new',
    });
    expect(p.requests[0]?.tags).toEqual({ 'autotap:managed': 'true', 'autotap:instance-id': 'i-01' });
    const again = ports([]);
    await attachInterface(attachment, config, again);
    expect(again.requests[0]?.clientToken).toBe(p.requests[0]?.clientToken);
  });

  it('moves to the next target when one filled up meanwhile, and reports target-full after the last', async () => {
    const p = ports([ec2Error('TrafficMirrorSourcesPerTargetLimitExceeded')]);
    expect(await attachInterface(attachment, config, p)).toMatchObject({
      outcome: 'created',
      trafficMirrorTargetId: 'tmt-02',
    });
    const full = ports([
      ec2Error('TrafficMirrorSourcesPerTargetLimitExceeded'),
      ec2Error('TrafficMirrorSourcesPerTargetLimitExceeded'),
    ]);
    expect(await attachInterface(attachment, config, full)).toMatchObject({
      outcome: 'skipped',
      reason: 'target-full',
    });
  });

  it('picks again when the number was taken meanwhile, whatever the error message says', async () => {
    const p = ports([ec2Error('InvalidParameterValue', 'Invalid value.')], [session({ sessionNumber: 1 })]);
    expect(await attachInterface(attachment, config, p)).toMatchObject({ outcome: 'created', sessionNumber: 2 });
    expect(p.requests.map((r) => r.sessionNumber)).toEqual([1, 2]);
    const other = ports([ec2Error('InvalidParameterValue', 'Invalid value.')], [session({ sessionNumber: 3 })]);
    expect(await attachInterface(attachment, config, other)).toMatchObject({
      outcome: 'failed',
      reason: 'InvalidParameterValue',
      sessionNumber: 1,
    });
  });

  it('picks again on a taken number described in words', async () => {
    const p = ports(
      [ec2Error('InvalidParameterValue', 'session number 1 is already in use on eni-01')],
      [session({ sessionNumber: 1 })],
    );
    expect(await attachInterface(attachment, config, p)).toMatchObject({ outcome: 'created', sessionNumber: 2 });
    const ours = session({
      sessionNumber: 1,
      tags: { 'autotap:managed': 'true' },
      trafficMirrorSessionId: 'tms-concurrent',
    });
    const raced = ports([ec2Error('InvalidParameterValue', 'session number 1 is already in use on eni-01')], [ours]);
    expect(await attachInterface(attachment, config, raced)).toMatchObject({
      outcome: 'already-mirrored',
      trafficMirrorSessionId: 'tms-concurrent',
    });
  });

  it('reports created only once a describe shows the session, waiting for describes to catch up', async () => {
    const p = ports([]);
    let describes = 0;
    const lagging: AttachPorts = {
      ...p,
      async describeSessionsOfInterfaces(ids) {
        describes += 1;
        return describes < 3 ? [] : p.describeSessionsOfInterfaces(ids);
      },
    };
    expect(await attachInterface(attachment, config, lagging)).toMatchObject({
      outcome: 'created',
      trafficMirrorSessionId: 'tms-new',
    });
    expect(p.requests).toHaveLength(1);
    expect(p.sleeps).toEqual(VERIFY_PAUSES_MS.slice(1, 3));
  });

  it('creates again with the next token when the answer replayed a deleted session', async () => {
    const p = ports([], [], ['tms-deleted']);
    const result = await attachInterface(attachment, config, p);
    expect(result).toMatchObject({ outcome: 'created', trafficMirrorSessionId: 'tms-new', sessionNumber: 1 });
    expect(p.requests).toHaveLength(2);
    expect(p.requests[1]?.clientToken).not.toBe(p.requests[0]?.clientToken);
    const always = ports(
      [],
      [],
      Array.from({ length: MAX_ATTACH_ATTEMPTS }, () => 'tms-deleted'),
    );
    expect(await attachInterface(attachment, config, always)).toMatchObject({
      outcome: 'failed',
      reason: 'attach-attempts-exhausted',
    });
  });

  it('puts packet length and VNI in the token: a configuration change in one launch is a new request', async () => {
    const before = ports([]);
    await attachInterface(attachment, mirroringWith({ packetLength: 128 }), before);
    const after = ports([]);
    await attachInterface(attachment, mirroringWith({ packetLength: 256 }), after);
    const vni = ports([]);
    await attachInterface(attachment, mirroringWith({ packetLength: 128, virtualNetworkId: 77 }), vni);
    const tokens = new Set([before, after, vni].map((p) => p.requests[0]?.clientToken));
    expect(tokens.size).toBe(3);
  });

  it('throws retryable errors by name for the state machine, and reports the rest', async () => {
    await expect(attachInterface(attachment, config, ports([ec2Error('RequestLimitExceeded')]))).rejects.toMatchObject({
      name: 'Throttled',
    });
    await expect(
      attachInterface(attachment, config, ports([ec2Error('InvalidNetworkInterfaceID.NotFound')])),
    ).rejects.toMatchObject({ name: 'NotYetVisible' });
    expect(await attachInterface(attachment, config, ports([ec2Error('NetworkInterfaceNotSupported')]))).toMatchObject({
      outcome: 'skipped',
      reason: 'unsupported',
    });
    expect(
      await attachInterface(attachment, config, ports([ec2Error('TrafficMirrorSessionLimitExceeded')])),
    ).toMatchObject({ outcome: 'failed', reason: 'account-session-limit' });
    expect(
      await attachInterface({ ...attachment, dryRun: true }, config, ports([ec2Error('DryRunOperation')])),
    ).toMatchObject({ outcome: 'skipped', reason: 'dry-run', sessionNumber: 1, trafficMirrorTargetId: 'tmt-01' });
  });
});
