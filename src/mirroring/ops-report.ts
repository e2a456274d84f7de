import type { EniResult } from './types.ts';

/** Outcomes no retry will fix: a human has to free a session slot, add a target or fix IAM/config. */
const NEEDS_A_HUMAN = new Set(['session-limit', 'no-target', 'target-full', 'no-session-number']);

export function needsAHuman(result: EniResult): boolean {
  return result.outcome === 'failed' || (result.outcome === 'skipped' && NEEDS_A_HUMAN.has(result.reason ?? ''));
}

export interface OpsReport {
  subject: string;
  message: string;
}

/** The ops topic's message about one execution, or null when nothing needs attention. */
export function renderOpsReport(
  results: readonly EniResult[],
  executionArn: string | undefined,
  missingTargets: readonly string[],
): OpsReport | null {
  const attention = results.filter(needsAHuman);
  if (attention.length === 0 && missingTargets.length === 0) return null;
  const lines = [
    'autotap could not mirror every network interface it was asked to.',
    '',
    ...(executionArn ? [`Execution: ${executionArn}`, ''] : []),
    ...attention.map(
      (r) =>
        `- ${r.networkInterfaceId || '(no ENI)'} of ${r.instanceId || '(no instance)'}: ${r.outcome}, ${r.reason ?? 'no reason given'}` +
        (r.trafficMirrorTargetId ? ` (target ${r.trafficMirrorTargetId})` : ''),
    ),
    ...(missingTargets.length > 0
      ? ['', `Configured targets missing from the account: ${missingTargets.join(', ')} (check mirroring.targets).`]
      : []),
    '',
    'Re-run from the Step Functions console with {"networkInterfaceIds": [...]} once fixed.',
  ];
  const count = attention.length;
  return {
    subject: `[autotap] ${count} network interface${count === 1 ? '' : 's'} need attention`,
    message: lines.join('\n'),
  };
}
