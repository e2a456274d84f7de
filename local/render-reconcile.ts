import type { AppliedAction } from '../src/mirroring/apply.ts';
import { ACTION_COLUMNS, actionCells } from '../cli/table.ts';

/** What `reconcile` and `cleanup-sessions` return (src/mirroring/reconcile-report.ts, plus `dryRun`). */
interface WorkflowOutput {
  counts: Record<string, number>;
  actions: AppliedAction[];
  truncated: number;
  dryRun?: boolean;
}

function isWorkflowOutput(output: unknown): output is WorkflowOutput {
  if (typeof output !== 'object' || output === null) return false;
  const o = output as Record<string, unknown>;
  return (
    typeof o.counts === 'object' && o.counts !== null && Array.isArray(o.actions) && typeof o.truncated === 'number'
  );
}

type Table = (headers: string[], rows: string[][]) => string;

/**
 * The actions of a `reconcile` or `cleanup-sessions` execution as `simulate` shows them: a line of
 * counts, then one row per action. Null for any other output (a `mirror-instances` one, a failure).
 * The table layout is the caller's, so every table `simulate` prints looks alike.
 */
export function renderWorkflowActions(output: unknown, table: Table): string | null {
  if (!isWorkflowOutput(output)) return null;
  const counts = Object.entries(output.counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, n]) => `${outcome} ${n}`);
  const heading = `${output.dryRun ? 'dry run, nothing changed: ' : ''}${counts.length > 0 ? counts.join(', ') : 'nothing to do'}`;
  if (output.actions.length === 0) return heading;
  const rows = output.actions.map((a) => [a.action, a.outcome, ...actionCells(a)]);
  const more = output.truncated > 0 ? [`... and ${output.truncated} more actions (the counts above include them)`] : [];
  return [heading, table(['action', 'outcome', ...ACTION_COLUMNS], rows), ...more].join('\n');
}
