import * as z from 'zod/mini';
import { putAutotapEvents } from '../src/aws/eventbridge.ts';
import { publish } from '../src/aws/sns.ts';
import { SessionRegistryTable } from '../src/aws/session-registry.ts';
import { mirroringConfig, organizationSection, requiredVariable } from '../src/config/environment.ts';
import { actingPlace } from '../src/aws/places.ts';
import { eventsForResults } from '../src/mirroring/autotap-events.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import { renderOpsReport } from '../src/mirroring/ops-report.ts';
import { recordsOfMirroring } from '../src/mirroring/registry.ts';
import type { EniResult } from '../src/mirroring/types.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { mirrorMetrics } from '../src/mirroring/metrics.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { parseOrThrow } from '../src/validation.ts';

const resultSchema = z.object({
  instanceId: z.string(),
  networkInterfaceId: z.string(),
  loadBalancer: z.optional(z.string()),
  requester: z.optional(z.string()),
  outcome: z.enum(['created', 'already-mirrored', 'skipped', 'failed']),
  reason: z.optional(z.string()),
  sessionNumber: z.optional(z.number()),
  trafficMirrorSessionId: z.optional(z.string()),
  trafficMirrorTargetId: z.optional(z.string()),
});

const inputSchema = z.object({
  results: z.array(resultSchema),
  attached: z._default(z.array(resultSchema), []),
  missingTargets: z._default(z.array(z.string()), []),
  /** What started the execution (its normalized request's trigger): why its sessions exist. */
  trigger: z._default(z.string(), 'manual'),
  /** When the event that started it happened (null: typed by hand). */
  eventTime: z.optional(z.nullable(z.string())),
  executionArn: z.optional(z.string()),
  /** The normalized request: where the execution acted, in an organization. */
  request: z.optional(z.object({ place: z.optional(z.object({ accountId: z.string(), region: z.string() })) })),
});

export interface MirrorOutput {
  results: EniResult[];
}

export const handler = lambdaHandler<unknown, MirrorOutput>(async (event) => {
  const input = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  const results: EniResult[] = [...input.results, ...input.attached];
  const place = actingPlace(input.request?.place, organizationSection());
  // The registry first: a failed write is retried with the whole step, before anything is announced.
  const records = recordsOfMirroring(results, input.trigger, {
    workflow: 'mirror-instances',
    ...(input.executionArn ? { executionArn: input.executionArn } : {}),
    now: new Date(),
    ...(place ? { place } : {}),
  });
  if (records.length > 0)
    await new SessionRegistryTable(requiredVariable('SESSIONS_TABLE', 'the sessions table name')).record(records);
  // Events before the ops report: if publishing fails, the state machine's retry repeats events
  // (which consumers must tolerate anyway, EventBridge delivers at least once) but not the e-mail.
  // Throttled or unavailable SNS / EventBridge reach here as RetryableError, which the state machine retries.
  if (mirroringConfig().publishEvents) {
    await putAutotapEvents(
      eventsForResults(results, {
        workflow: 'mirror-instances',
        ...(input.executionArn ? { executionArn: input.executionArn } : {}),
      }),
    );
  }
  const report = renderOpsReport(results, input.executionArn, input.missingTargets);
  if (report) {
    const topicArn = requiredVariable('OPS_TOPIC_ARN', 'the ops topic ARN');
    await publish(topicArn, report.subject, report.message);
    logger.warn('reported to the ops topic', { subject: report.subject });
  }
  publishMetrics(mirrorMetrics(results, input.trigger, input.eventTime, new Date()));
  logger.info('mirror-instances summary', { outcomes: countOutcomes(results) });
  return { results };
});

function countOutcomes(results: readonly EniResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}
