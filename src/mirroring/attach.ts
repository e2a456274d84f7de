import type { MirroringConfig } from '../config/schema.ts';
import { sessionClientToken } from './client-token.ts';
import { classifyEc2Error, RetryableError } from './errors.ts';
import { pickSessionNumber } from './session-numbers.ts';
import { INSTANCE_TAG, MANAGED_TAG, type Attachment, type CreateSessionRequest, type EniResult, type Session } from './types.ts';

export interface AttachPorts {
  createSession(request: CreateSessionRequest): Promise<Session>;
  describeSessionsOfInterfaces(networkInterfaceIds: string[]): Promise<Session[]>;
}

/** Bounds the re-picks after a target filled up or a number was taken by a concurrent writer. */
export const MAX_ATTACH_ATTEMPTS = 5;

/**
 * Attaches one session as decided by the plan. Throttling and not-yet-visible ENIs are thrown as
 * RetryableError for the state machine to retry with backoff; a target that filled up meanwhile
 * moves to the next candidate; a number taken meanwhile is picked again from a fresh describe.
 */
export async function attachInterface(attachment: Attachment, config: MirroringConfig, ports: AttachPorts): Promise<EniResult> {
  const base = { instanceId: attachment.instanceId, networkInterfaceId: attachment.networkInterfaceId };
  const targets = [attachment.trafficMirrorTargetId, ...attachment.alternativeTargetIds];
  let sessionNumber = attachment.sessionNumber;

  for (let attempt = 0; attempt < MAX_ATTACH_ATTEMPTS; attempt += 1) {
    const trafficMirrorTargetId = targets[0];
    if (!trafficMirrorTargetId) return { ...base, outcome: 'skipped', reason: 'target-full' };
    const decided = { sessionNumber, trafficMirrorTargetId };
    try {
      const session = await ports.createSession({
        networkInterfaceId: attachment.networkInterfaceId,
        trafficMirrorTargetId,
        trafficMirrorFilterId: attachment.trafficMirrorFilterId,
        sessionNumber,
        packetLength: config.packetLength,
        virtualNetworkId: config.virtualNetworkId,
        description: `autotap: ${attachment.instanceId}`,
        tags: { [MANAGED_TAG]: 'true', [INSTANCE_TAG]: attachment.instanceId },
        clientToken: sessionClientToken({ ...attachment, ...decided }),
        dryRun: attachment.dryRun,
      });
      return { ...base, outcome: 'created', ...decided, trafficMirrorSessionId: session.trafficMirrorSessionId };
    } catch (error) {
      const verdict = classifyEc2Error(error as Error);
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      switch (verdict.action) {
        case 'retry':
          throw new RetryableError(verdict.error, `${attachment.networkInterfaceId}: ${message}`);
        case 'dry-run-passed':
          return { ...base, outcome: 'skipped', reason: 'dry-run', ...decided };
        case 'skip':
          return { ...base, outcome: 'skipped', reason: verdict.reason, ...decided };
        case 'fail':
          return { ...base, outcome: 'failed', reason: verdict.reason, ...decided };
        case 'next-target':
          targets.shift();
          break;
        case 'repick-number': {
          const sessions = await describeAgain(attachment.networkInterfaceId, ports);
          const ours = sessions.find((s) => s.tags[MANAGED_TAG] === 'true');
          if (ours) {
            return {
              ...base,
              outcome: 'already-mirrored',
              sessionNumber: ours.sessionNumber,
              trafficMirrorSessionId: ours.trafficMirrorSessionId,
              trafficMirrorTargetId: ours.trafficMirrorTargetId,
            };
          }
          const next = pickSessionNumber(sessions.map((s) => s.sessionNumber), config.sessionNumber);
          if ('reason' in next) return { ...base, outcome: 'skipped', reason: next.reason };
          sessionNumber = next.sessionNumber;
          break;
        }
      }
    }
  }
  return { ...base, outcome: 'failed', reason: 'attach-attempts-exhausted', sessionNumber };
}

/** The re-pick's describe is throttled like any other call: the state machine retries it with backoff. */
async function describeAgain(networkInterfaceId: string, ports: AttachPorts): Promise<Session[]> {
  try {
    return await ports.describeSessionsOfInterfaces([networkInterfaceId]);
  } catch (error) {
    const verdict = classifyEc2Error(error as Error);
    if (verdict.action === 'retry') throw new RetryableError(verdict.error, `${networkInterfaceId}: ${(error as Error).name}`);
    throw error;
  }
}
