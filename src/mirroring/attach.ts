import type { MirroringConfig } from '../config/schema.ts';
import { sessionClientToken } from './client-token.ts';
import { AwsRefusal, DryRunPassed, SessionNumberRejected, SourceNotMirrorable, TargetFull } from './errors.ts';
import { pickSessionNumber } from './session-numbers.ts';
import {
  serviceLabel,
  sourceName,
  isManagedSession,
  sessionTags,
  type Attachment,
  type CreateSessionRequest,
  type EniResult,
  type Session,
} from './types.ts';

export interface AttachPorts {
  createSession(request: CreateSessionRequest): Promise<Session>;
  describeSessionsOfInterfaces(networkInterfaceIds: string[]): Promise<Session[]>;
  /** Waits between the describes that look for a new session (eventual consistency). */
  sleep?: (ms: number) => Promise<void>;
}

/** Bounds the re-picks after a target filled up, a number was taken or a token replayed a deleted session. */
export const MAX_ATTACH_ATTEMPTS = 5;

/**
 * Pauses before each describe that looks for a session just created. EC2's describes are eventually
 * consistent (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html): a session
 * still missing after these (3.6 s in all) was not created by this call but replayed from a token
 * whose session has been deleted since.
 */
export const VERIFY_PAUSES_MS = [0, 400, 1200, 2000];

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Attaches one session as decided by the plan. Throttling and not-yet-visible ENIs come from the
 * adapter as RetryableError and go up for the state machine to retry with backoff; a target that filled up meanwhile
 * moves to the next candidate; a number taken meanwhile is picked again from a fresh describe. A
 * session is reported `created` only once a describe shows it.
 */
export async function attachInterface(
  attachment: Attachment,
  config: MirroringConfig,
  ports: AttachPorts,
  options: AttachOptions = {},
): Promise<EniResult> {
  const base = {
    instanceId: attachment.instanceId,
    networkInterfaceId: attachment.networkInterfaceId,
    ...serviceLabel(attachment),
  };
  const targets = [attachment.trafficMirrorTargetId, ...attachment.alternativeTargetIds];
  let sessionNumber = attachment.sessionNumber;
  let generation = options.generation ?? 0;
  const virtualNetworkId = attachment.virtualNetworkId ?? config.virtualNetworkId;
  const packetLength = attachment.packetLength === undefined ? config.packetLength : attachment.packetLength;

  for (let attempt = 0; attempt < MAX_ATTACH_ATTEMPTS; attempt += 1) {
    const trafficMirrorTargetId = targets[0];
    if (!trafficMirrorTargetId) return { ...base, outcome: 'skipped', reason: 'target-full' };
    const decided = { sessionNumber, trafficMirrorTargetId };
    let session: Session;
    try {
      session = await ports.createSession({
        networkInterfaceId: attachment.networkInterfaceId,
        trafficMirrorTargetId,
        trafficMirrorFilterId: attachment.trafficMirrorFilterId,
        sessionNumber,
        packetLength,
        virtualNetworkId,
        description: `autotap: ${sourceName(attachment)}`,
        tags: sessionTags(attachment),
        clientToken: sessionClientToken({
          ...attachment,
          ...decided,
          packetLength,
          virtualNetworkId,
          generation,
        }),
        dryRun: attachment.dryRun,
      });
    } catch (error) {
      // The adapter hands over domain errors; RetryableError and anything unknown go up to the state machine.
      if (error instanceof DryRunPassed) return { ...base, outcome: 'skipped', reason: 'dry-run', ...decided };
      if (error instanceof SourceNotMirrorable)
        return { ...base, outcome: 'skipped', reason: error.reason, ...decided };
      if (error instanceof TargetFull) {
        targets.shift();
        continue;
      }
      if (error instanceof SessionNumberRejected) {
        // EC2 documents no error for a number already used on the ENI: any invalid value is
        // checked against the ENI's sessions, whatever its message says.
        const sessions = await ports.describeSessionsOfInterfaces([attachment.networkInterfaceId]);
        const ours = sessions.find(isManagedSession);
        if (ours) return alreadyMirrored(base, ours);
        if (!sessions.some((s) => s.sessionNumber === sessionNumber))
          return { ...base, outcome: 'failed', reason: error.code, ...decided };
        const next = pickSessionNumber(
          sessions.map((s) => s.sessionNumber),
          config.sessionNumber,
        );
        if ('reason' in next) return { ...base, outcome: 'skipped', reason: next.reason };
        sessionNumber = next.sessionNumber;
        continue;
      }
      if (error instanceof AwsRefusal) return { ...base, outcome: 'failed', reason: error.reason, ...decided };
      throw error;
    }
    if (
      options.confirm === false ||
      (await sessionShows(session.trafficMirrorSessionId, attachment.networkInterfaceId, ports))
    ) {
      return { ...base, outcome: 'created', ...decided, trafficMirrorSessionId: session.trafficMirrorSessionId };
    }
    generation += 1;
  }
  return { ...base, outcome: 'failed', reason: 'attach-attempts-exhausted', sessionNumber };
}

export interface AttachOptions {
  /** false: the caller confirms the session in a batch (confirmCreated) instead of one describe here. */
  confirm?: boolean;
  /** Token generation to start from: one more than a create whose session did not show. */
  generation?: number;
}

/**
 * The created results whose session no describe shows, after the same waits as one attach: their
 * token replayed a deleted session. One describe per 200 ENIs instead of one per create.
 */
export async function unconfirmedCreates<
  R extends Pick<EniResult, 'networkInterfaceId' | 'trafficMirrorSessionId'> & { outcome: string },
>(results: readonly R[], ports: AttachPorts): Promise<R[]> {
  const sleep = ports.sleep ?? realSleep;
  let pending = results.filter((r) => r.outcome === 'created' && r.trafficMirrorSessionId);
  for (const pause of VERIFY_PAUSES_MS) {
    if (pending.length === 0) break;
    if (pause > 0) await sleep(pause);
    const shown = new Set(
      (await ports.describeSessionsOfInterfaces([...new Set(pending.map((r) => r.networkInterfaceId))])).map(
        (s) => s.trafficMirrorSessionId,
      ),
    );
    pending = pending.filter((r) => !shown.has(r.trafficMirrorSessionId ?? ''));
  }
  return pending;
}

function alreadyMirrored(base: { instanceId: string; networkInterfaceId: string }, ours: Session): EniResult {
  return {
    ...base,
    outcome: 'already-mirrored',
    sessionNumber: ours.sessionNumber,
    trafficMirrorSessionId: ours.trafficMirrorSessionId,
    trafficMirrorTargetId: ours.trafficMirrorTargetId,
  };
}

/** Whether the session a create answered with exists, allowing describes the time to catch up. */
async function sessionShows(
  trafficMirrorSessionId: string,
  networkInterfaceId: string,
  ports: AttachPorts,
): Promise<boolean> {
  const sleep = ports.sleep ?? realSleep;
  for (const pause of VERIFY_PAUSES_MS) {
    if (pause > 0) await sleep(pause);
    const sessions = await ports.describeSessionsOfInterfaces([networkInterfaceId]);
    if (sessions.some((s) => s.trafficMirrorSessionId === trafficMirrorSessionId)) return true;
  }
  return false;
}
