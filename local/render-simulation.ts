import { METRICS, type MetricName } from '../src/observability/metrics.ts';
import type { MetricTotal } from './cloudwatch/embedded-metrics.ts';
import type { EniResult } from '../src/mirroring/types.ts';
import { resultsTable, table } from '../cli/table.ts';
import type { SimulationReport } from './simulate.ts';
import { renderWorkflowActions } from './render-reconcile.ts';

/** What `autotap simulate` and the demo print: each execution, the sessions after, what was published. */

function describeInput(input: unknown): string {
  const i = input as Record<string, unknown> & { detail?: Record<string, unknown> };
  if (i?.['detail-type'] === 'EC2 Instance State-change Notification')
    return `EC2 event: ${String(i.detail?.['instance-id'])} ${String(i.detail?.state)}`;
  if (i?.['detail-type'] === 'AWS API Call via CloudTrail') return `CloudTrail: ${String(i.detail?.eventName)}`;
  return `by hand: ${JSON.stringify(input)}`;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

export function renderSimulation(report: SimulationReport): string {
  const out: string[] = [];
  // With `accounts:`, every session names its account and Region, and so does every execution.
  const organization = report.sessions.some((s) => s.accountId !== undefined) || report.organization === true;
  report.executions.forEach((execution, n) => {
    if (execution.coalesced) {
      const { events, rules } = execution.coalesced;
      const ids = (execution.input as { instanceIds?: string[] }).instanceIds ?? [];
      out.push(
        `Execution ${n + 1}: ${execution.stateMachine} <- tag changes of ${ids.join(', ')} (events ${events.map((e) => e + 1).join(', ')}, rules ${rules.join(', ')}, one batch of the tag-changes queue): ${execution.status}`,
      );
    } else {
      const via = execution.rule ? `rule ${execution.rule}` : 'started by hand';
      const where = organization && execution.place ? ` in ${execution.place.accountId} ${execution.place.region}` : '';
      out.push(
        `Execution ${n + 1}: ${execution.stateMachine}${where} <- ${describeInput(execution.input)} (event ${execution.event + 1}, ${via}): ${execution.status}`,
      );
    }
    if (execution.error) out.push(`  error ${execution.error.name}: ${execution.error.message}`);
    const results = (execution.output as { results?: EniResult[] } | null)?.results ?? [];
    if (results.length > 0) out.push(indent(resultsTable(results)));
    const actions = renderWorkflowActions(execution.output, table);
    if (actions) out.push(indent(actions));
    out.push('');
  });
  for (const u of report.unrouted) {
    const what = `${u.source} "${u.detailType}"${u.eventName ? ` ${u.eventName}` : ''}`;
    out.push(`Event ${u.event + 1}: ${what}: no rule of the stack matches it, so EventBridge delivers it nowhere.`);
  }
  const { ignored, parked } = report.tagChanges;
  if (ignored.length > 0)
    out.push(
      `Events ${ignored.map((e) => e + 1).join(', ')}: tag changes that cannot change scope (no instance, or only keys the scope does not name): nothing started.`,
    );
  for (const p of parked) out.push(`Event ${p.event + 1}: parked in the tag-changes dead-letter queue: ${p.reason}`);
  if (report.unrouted.length > 0 || ignored.length > 0 || parked.length > 0) out.push('');
  out.push(
    `Mirror sessions in ${organization ? 'every account and Region' : 'the account'} afterwards (${report.sessions.length}):`,
  );
  out.push(
    table(
      [...(organization ? ['account', 'Region'] : []), 'session', 'ENI', 'number', 'target', 'filter', 'created by'],
      report.sessions.map((s) => [
        ...(organization ? [s.accountId ?? '', s.region ?? ''] : []),
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
  out.push(
    report.published.length === 0 ? 'Nothing was published to SNS.' : `Published to SNS (${report.published.length}):`,
  );
  for (const m of report.published) {
    out.push(`  [${m.topic}] ${m.subject ?? '(no subject)'}`);
    out.push(...m.message.split('\n').map((l) => `    ${l}`));
  }
  out.push('');
  out.push(
    `AWS API calls: ${
      Object.entries(report.calls)
        .map(([action, count]) => `${action} ${count}`)
        .join(', ') || 'none'
    }`,
  );
  out.push('');
  out.push(report.metrics.length === 0 ? 'No metrics were written.' : "autotap's metrics (as CloudWatch keeps them):");
  for (const m of report.metrics) out.push(`  ${m.metric} ${metricValue(m)}`);
  return out.join('\n');
}

/** A count as its sum, a percentage or a time as its values' mean (CloudWatch keeps each value). */
function metricValue(m: MetricTotal): string {
  const name = m.metric.split('{')[0] as MetricName;
  const unit = METRICS[name]?.unit ?? 'Count';
  if (unit === 'Count') return String(m.sum);
  const mean = (m.sum / m.samples).toFixed(1);
  return unit === 'Percent' ? `${mean}%` : `mean ${mean} s of ${m.samples}`;
}
