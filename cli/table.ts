import type { ReconcileAction } from '../src/mirroring/reconcile.ts';
import type { EniResult, ServiceLabel } from '../src/mirroring/types.ts';

/** Plain-text tables for the commands' output. */

/** A plain-text table: columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** What the ENI belongs to: its instance, the load balancer whose ENI it is, or the service's requester ID. */
function sourceCell(s: ServiceLabel & { instanceId: string }): string {
  if (s.loadBalancer) return `lb ${s.loadBalancer}`;
  return s.requester ? `svc ${s.requester}` : s.instanceId || '-';
}

/** The per-ENI outcomes of a mirror-instances execution, as the console output lists them. */
export function resultsTable(results: readonly EniResult[]): string {
  return table(
    ['instance', 'ENI', 'outcome', 'reason', 'number', 'target', 'session'],
    results.map((r) => [
      sourceCell(r),
      r.networkInterfaceId || '-',
      r.outcome,
      r.reason ?? '',
      r.sessionNumber !== undefined ? String(r.sessionNumber) : '',
      r.trafficMirrorTargetId ?? '',
      r.trafficMirrorSessionId ?? '',
    ]),
  );
}

/** The columns every table of reconcile actions shares (plan's, and simulate's of an execution). */
export const ACTION_COLUMNS = ['instance', 'ENI', 'reason', 'number', 'target', 'session'];

type ActionFields = Pick<
  ReconcileAction,
  | 'instanceId'
  | 'loadBalancer'
  | 'requester'
  | 'networkInterfaceId'
  | 'reason'
  | 'sessionNumber'
  | 'trafficMirrorTargetId'
  | 'trafficMirrorSessionId'
>;

export function actionCells(a: ActionFields): string[] {
  return [
    sourceCell(a),
    a.networkInterfaceId,
    a.reason ?? '',
    a.sessionNumber !== undefined ? String(a.sessionNumber) : '',
    a.trafficMirrorTargetId ?? '',
    a.trafficMirrorSessionId ?? '',
  ];
}
