import { createHash } from 'node:crypto';

/**
 * The idempotency token of a session create. Deterministic, so that Lambda and Step Functions retries
 * and duplicate executions for the same launch return the same session instead of adding one; the
 * launch time makes a restart of a stopped instance a new request rather than a replay of a session
 * that may have been deleted since. EC2 accepts at most 64 ASCII characters.
 */
export function sessionClientToken(parts: {
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  sessionNumber: number;
  launchTime?: string;
}): string {
  const material = [
    parts.networkInterfaceId,
    parts.trafficMirrorTargetId,
    parts.trafficMirrorFilterId,
    String(parts.sessionNumber),
    parts.launchTime ?? '',
  ].join('|');
  return `autotap-${createHash('sha256').update(material).digest('hex').slice(0, 56)}`;
}
