import * as z from 'zod/mini';
import { publish } from '../src/aws/sns.ts';
import { requiredVariable } from '../src/config/environment.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import { normalizeReconcileInput } from '../src/mirroring/reconcile-input.ts';
import {
  mergeReports,
  needsAttention,
  notablePlaces,
  renderWorkflowReport,
  type WorkflowSummary,
} from '../src/mirroring/reconcile-report.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { driftMetrics } from '../src/mirroring/metrics.ts';
import { parseOrThrow } from '../src/validation.ts';

const reportSchema = z.object({
  counts: z.record(z.string(), z.number()),
  actions: z.array(
    z.object({
      action: z.enum(['create', 'delete', 'modify', 'skip']),
      outcome: z.enum(['created', 'deleted', 'modified', 'already-mirrored', 'skipped', 'failed', 'planned']),
      instanceId: z.string(),
      networkInterfaceId: z.string(),
      loadBalancer: z.optional(z.string()),
      requester: z.optional(z.string()),
      reason: z.optional(z.string()),
      sessionNumber: z.optional(z.number()),
      trafficMirrorTargetId: z.optional(z.string()),
      trafficMirrorFilterId: z.optional(z.string()),
      trafficMirrorSessionId: z.optional(z.string()),
      packetLength: z.optional(z.nullable(z.number())),
      virtualNetworkId: z.optional(z.number()),
      override: z.optional(z.string()),
    }),
  ),
  truncated: z._default(z.number(), 0),
  /** A reconcile's place (its Map iteration's): null for the stack's own account without an organization. */
  place: z.optional(z.nullable(z.object({ accountId: z.string(), region: z.string() }))),
  remaining: z._default(z.int().check(z.minimum(0)), 0),
  failedRounds: z._default(z.int().check(z.minimum(0)), 0),
  error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
  /** The request as the place's rounds left it: a tamper is looked up in its first round. */
  request: z.optional(z.unknown()),
});

const inputSchema = z.object({
  workflow: z.enum(['reconcile', 'cleanup-sessions']),
  reports: z.array(reportSchema),
  dryRun: z._default(z.boolean(), false),
  /** reconcile: its request (the dry run is read from it), rounds that failed after their retries, actions left. */
  request: z.optional(z.unknown()),
  failedRounds: z._default(z.int().check(z.minimum(0)), 0),
  remaining: z._default(z.int().check(z.minimum(0)), 0),
  executionArn: z.optional(z.string()),
});

/** Adds up the slices' reports; the ops topic hears when sessions changed or something needs a human. */
export const handler = lambdaHandler<unknown, WorkflowSummary & { dryRun: boolean }>(async (event) => {
  const input = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  const summary = mergeReports(input.reports);
  const failedRounds = input.reports.reduce((n, r) => n + r.failedRounds, input.failedRounds);
  const remaining = input.reports.reduce((n, r) => n + r.remaining, input.remaining);
  if (failedRounds > 0) summary.counts['failed-slices'] = (summary.counts['failed-slices'] ?? 0) + failedRounds;
  if (remaining > 0) summary.counts.remaining = remaining;
  const places = input.reports.flatMap((r) =>
    r.place
      ? [
          {
            place: r.place,
            counts: {
              ...r.counts,
              ...(r.remaining > 0 ? { remaining: r.remaining } : {}),
              ...(r.failedRounds > 0 ? { 'failed-slices': r.failedRounds } : {}),
            },
            ...(r.error ? { error: r.error } : {}),
            ...(r.actions.some(needsAttention) ? { attention: r.actions.filter(needsAttention) } : {}),
          },
        ]
      : [],
  );
  if (places.length > 0) {
    summary.places = notablePlaces(places);
    summary.counts.places = places.length;
  }
  const asked = input.reports.find((r) => r.request !== undefined)?.request ?? input.request;
  const request = asked === undefined ? undefined : normalizeReconcileInput(asked);
  const dryRun = request === undefined ? input.dryRun : request.dryRun;
  const report = renderWorkflowReport(input.workflow, summary, input.executionArn, request?.tamper);
  if (report) {
    const topicArn = requiredVariable('OPS_TOPIC_ARN', 'the ops topic ARN');
    // A throttled or unavailable SNS reaches here as RetryableError, which the state machine retries.
    await publish(topicArn, report.subject, report.message);
  }
  // A dry run repaired nothing: its planned drift is still drift found.
  publishMetrics(driftMetrics(input.workflow, summary.counts));
  logger.info(`${input.workflow} summary`, { counts: summary.counts });
  return { ...summary, dryRun };
});
