import type { AppliedAction } from './apply.ts';
import { eventsForActions, type AutotapEvent, type EventOrigin } from './autotap-events.ts';
import { describeTamper, type Tamper } from './tamper.ts';
import { sourceName } from './types.ts';
import { logger } from '../lambda/logger.ts';
import { describeThrown } from '../thrown.ts';

/** What one slice reports back: counts always, the actions themselves up to a cap (payload budget). */
export interface SliceReport {
  counts: Record<string, number>;
  actions: AppliedAction[];
  truncated: number;
}

/** Keeps a slice's output a few KB: Step Functions carries at most 256 KiB between states. */
export const ACTIONS_PER_SLICE_REPORT = 50;

const NOTABLE: AppliedAction['outcome'][] = ['failed', 'skipped'];

export function countKey(a: AppliedAction): string {
  return a.outcome === 'planned' ? `would-${a.action}` : a.outcome;
}

export function reportSlice(applied: readonly AppliedAction[]): SliceReport {
  const counts: Record<string, number> = {};
  for (const a of applied) counts[countKey(a)] = (counts[countKey(a)] ?? 0) + 1;
  // Failures and skips first: they are what a human reads the report for.
  const ordered = [...applied].sort(
    (a, b) => Number(!NOTABLE.includes(a.outcome)) - Number(!NOTABLE.includes(b.outcome)),
  );
  const actions = ordered.slice(0, ACTIONS_PER_SLICE_REPORT);
  return { counts, actions, truncated: applied.length - actions.length };
}

/**
 * Publishes autotap's events for actions already carried out; returns how many could not be
 * published. The changes are made: a retry would find nothing left to announce, so a loss is counted
 * (the summary tells the ops topic) instead of failing the work.
 */
export async function announceActions(
  applied: readonly AppliedAction[],
  origin: EventOrigin,
  put: (events: readonly AutotapEvent[]) => Promise<void>,
): Promise<number> {
  const events = eventsForActions(applied, origin);
  if (events.length === 0) return 0;
  try {
    await put(events);
    return 0;
  } catch (error) {
    logger.error('autotap events could not be published', {
      errorName: describeThrown(error).name,
      events: events.length,
    });
    return events.length;
  }
}

export interface WorkflowSummary {
  counts: Record<string, number>;
  actions: AppliedAction[];
  truncated: number;
  /** In an organization: each account and Region that changed, needs a human, or failed. */
  places?: PlaceSummary[];
}

/** One place's share of a reconcile over an organization, as its Map iteration ended. */
export interface PlaceSummary {
  place: { accountId: string; region: string };
  counts: Record<string, number>;
  /** The error that ended the place's rounds early (after retries), when one did. */
  error?: { Error: string; Cause?: string };
  /** Its actions that need a human (the few its state kept). */
  attention?: AppliedAction[];
}

/** Whether an action needs a human: it failed, or was skipped for want of capacity. */
export function needsAttention(a: Pick<AppliedAction, 'outcome' | 'reason'>): boolean {
  return a.outcome === 'failed' || (a.outcome === 'skipped' && NEEDS_A_HUMAN.has(a.reason ?? ''));
}

/** The place's report as it rides in an organization's state: its counts, and only actions needing a human. */
export function placeReport(report: WorkflowSummary, kept: number): WorkflowSummary {
  const actions = report.actions.filter(needsAttention).slice(0, kept);
  return { ...report, actions, truncated: report.truncated + report.actions.length - actions.length };
}

/** Places worth a line in the ops message: something changed, needs a human, was left or failed. */
export function notablePlaces(places: readonly PlaceSummary[]): PlaceSummary[] {
  return places.filter(
    (p) =>
      p.error !== undefined ||
      (p.attention ?? []).length > 0 ||
      [...CHANGES, 'failed', 'remaining', 'failed-slices'].some((k) => (p.counts[k] ?? 0) > 0),
  );
}

/** A Step Functions Cause is the Lambda's error as JSON: its message is what a human needs. */
function causeOf(error: NonNullable<PlaceSummary['error']>): string {
  try {
    const parsed = JSON.parse(error.Cause ?? '') as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause as it came.
  }
  return error.Cause ?? '';
}

export function mergeReports(reports: readonly SliceReport[], cap = 500): WorkflowSummary {
  const counts: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + v;
  const all = reports.flatMap((r) => r.actions);
  const actions = all.slice(0, cap);
  return { counts, actions, truncated: reports.reduce((n, r) => n + r.truncated, 0) + all.length - actions.length };
}

const NEEDS_A_HUMAN = new Set(['session-limit', 'no-target', 'target-full', 'no-session-number']);
const CHANGES = ['created', 'deleted', 'modified'];

/** The ops message: sent when something changed or needs a human, so a quiet account stays quiet. */
export function renderWorkflowReport(
  workflow: string,
  summary: WorkflowSummary,
  executionArn?: string,
  tamper?: Tamper,
): { subject: string; message: string } | null {
  // Someone else's change to autotap's session is always told, whatever autotap did about it.
  const tampered = tamper && !tamper.ignored ? tamper : undefined;
  const attention = summary.actions.filter(needsAttention);
  const failedPlaces = (summary.places ?? []).filter((p) => p.error !== undefined);
  const changed = CHANGES.reduce((n, k) => n + (summary.counts[k] ?? 0), 0);
  const failedSlices = summary.counts['failed-slices'] ?? 0;
  const unpublished = summary.counts['unpublished-events'] ?? 0;
  const remaining = summary.counts.remaining ?? 0;
  if (
    !tampered &&
    changed === 0 &&
    attention.length === 0 &&
    failedSlices === 0 &&
    failedPlaces.length === 0 &&
    unpublished === 0 &&
    remaining === 0
  )
    return null;
  const countLine = countLineOf(summary.counts);
  const shown = summary.actions.filter((a) => a.outcome !== 'skipped' || NEEDS_A_HUMAN.has(a.reason ?? ''));
  const lines = [
    `autotap ${workflow}: ${countLine || 'nothing to do'}.`,
    ...(executionArn ? [`Execution: ${executionArn}`] : []),
    ...(tampered ? ['', ...describeTamper(tampered, shown.length > 0)] : []),
    ...(summary.places && summary.places.length > 0
      ? [
          '',
          'By account and Region:',
          ...summary.places.map((p) => {
            const counted = `- ${p.place.accountId} ${p.place.region}: ${countLineOf(p.counts) || 'nothing done'}`;
            const line = [counted, ...(p.attention ?? []).map(describeAction)].join('; ');
            return p.error ? `${line}; stopped by ${p.error.Error}: ${causeOf(p.error)}` : line;
          }),
        ]
      : []),
    '',
    // By place, the actions needing a human are on their place's line.
    ...(summary.places ? [] : shown.map((a) => `- ${describeAction(a)}`)),
    // By place, only the actions needing a human ride along; the others are in the logs and events.
    ...(summary.truncated > 0 && !summary.places ? [`(and ${summary.truncated} more, counted above)`] : []),
    ...(failedSlices > 0
      ? [
          '',
          `${failedSlices} slice(s) or round(s) failed after their retries: see the execution, then run reconcile again.`,
        ]
      : []),
    ...(remaining > 0
      ? ['', `${remaining} planned change(s) were left when the rounds ran out; the next reconcile carries on.`]
      : []),
    ...(unpublished > 0
      ? ['', `${unpublished} autotap event(s) could not be published to EventBridge; the changes above were made.`]
      : []),
  ];
  const subject = tampered
    ? `[autotap] session ${tampered.trafficMirrorSessionId} ${tampered.eventName === 'DeleteTrafficMirrorSession' ? 'deleted' : 'modified'} by ${tampered.by}`
    : attention.length + failedSlices + unpublished > 0
      ? `[autotap] ${workflow}: ${attention.length + failedSlices + unpublished} need attention`
      : `[autotap] ${workflow}: ${changed} sessions changed`;
  return { subject, message: lines.join('\n') };
}

function countLineOf(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function describeAction(a: AppliedAction): string {
  return `${a.outcome} ${a.trafficMirrorSessionId ?? ''} ${a.networkInterfaceId} of ${sourceName({ ...a, instanceId: a.instanceId || '(unknown instance)' })}${a.reason ? `: ${a.reason}` : ''}`.replace(
    / {2,}/g,
    ' ',
  );
}
