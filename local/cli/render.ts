import type { EniResult } from '../../src/mirroring/types.ts';
import { renderWorkflowActions } from '../render-reconcile.ts';
import type { SimulationReport } from '../simulate.ts';

/** A plain-text table: columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function describeInput(input: unknown): string {
  const i = input as Record<string, unknown> & { detail?: Record<string, unknown> };
  if (i?.['detail-type'] === 'EC2 Instance State-change Notification') return `EC2 event: ${String(i.detail?.['instance-id'])} ${String(i.detail?.state)}`;
  if (i?.['detail-type'] === 'AWS API Call via CloudTrail') return `CloudTrail: ${String(i.detail?.eventName)}`;
  return `manual: ${JSON.stringify(input)}`;
}

/** The per-ENI outcomes of a mirror-instances execution, as the console output lists them. */
export function resultsTable(results: readonly EniResult[]): string {
  return table(
    ['instance', 'ENI', 'outcome', 'reason', 'number', 'target', 'session'],
    results.map((r) => [
      r.instanceId || '-',
      r.networkInterfaceId || '-',
      r.outcome,
      r.reason ?? '',
      r.sessionNumber !== undefined ? String(r.sessionNumber) : '',
      r.trafficMirrorTargetId ?? '',
      r.trafficMirrorSessionId ?? '',
    ]),
  );
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

export function renderSimulation(report: SimulationReport): string {
  const out: string[] = [];
  report.executions.forEach((execution, n) => {
    out.push(`Execution ${n + 1}: ${execution.stateMachine} <- ${describeInput(execution.input)}: ${execution.status}`);
    if (execution.error) out.push(`  error ${execution.error.name}: ${execution.error.message}`);
    const results = (execution.output as { results?: EniResult[] } | null)?.results ?? [];
    if (results.length > 0) out.push(indent(resultsTable(results)));
    const actions = renderWorkflowActions(execution.output, table);
    if (actions) out.push(indent(actions));
    out.push('');
  });
  out.push(`Mirror sessions in the account afterwards (${report.sessions.length}):`);
  out.push(
    table(
      ['session', 'ENI', 'number', 'target', 'filter', 'created by'],
      report.sessions.map((s) => [
        s.trafficMirrorSessionId,
        s.networkInterfaceId,
        String(s.sessionNumber),
        s.trafficMirrorTargetId,
        s.trafficMirrorFilterId,
        s.tags['autotap:managed'] === 'true' ? 'autotap' : 'someone else',
      ]),
    ),
  );
  out.push('');
  out.push(report.published.length === 0 ? 'Nothing was published to SNS.' : `Published to SNS (${report.published.length}):`);
  for (const m of report.published) {
    out.push(`  [${m.topic}] ${m.subject ?? '(no subject)'}`);
    out.push(...m.message.split('\n').map((l) => `    ${l}`));
  }
  out.push('');
  out.push(`AWS API calls: ${Object.entries(report.calls).map(([action, count]) => `${action} ${count}`).join(', ') || 'none'}`);
  return out.join('\n');
}
