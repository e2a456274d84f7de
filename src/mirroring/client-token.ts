import { createHash } from 'node:crypto';

/**
 * The idempotency token of a session create. Deterministic, so that Lambda and Step Functions retries
 * and duplicate executions for the same launch return the same session instead of adding one; the
 * launch time makes a restart of a stopped instance a new request rather than a replay of a session
 * that may have been deleted since. EC2 accepts at most 64 ASCII characters
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
 *
 * Everything EC2 compares for a token is in it (packet length and VNI too), so a configuration
 * change within one launch is a new request, not an IdempotentParameterMismatch. `generation`
 * moves on when a token turned out to replay a session that no longer exists (what EC2 answers to
 * a token whose session was deleted is undocumented).
 */
export function sessionClientToken(parts: {
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  sessionNumber: number;
  launchTime?: string;
  packetLength?: number | null;
  virtualNetworkId?: number | null;
  generation?: number;
}): string {
  const material = [
    parts.networkInterfaceId,
    parts.trafficMirrorTargetId,
    parts.trafficMirrorFilterId,
    String(parts.sessionNumber),
    parts.launchTime ?? '',
    String(parts.packetLength ?? ''),
    String(parts.virtualNetworkId ?? ''),
    String(parts.generation ?? 0),
  ].join('|');
  return `autotap-${createHash('sha256').update(material).digest('hex').slice(0, 56)}`;
}
