import * as z from 'zod/mini';
import { mirroringConfig } from '../src/config/environment.ts';
import * as ec2 from '../src/aws/ec2.ts';
import { putAutotapEvents } from '../src/aws/eventbridge.ts';
import { eventsForActions, workflowOfMode } from '../src/mirroring/autotap-events.ts';
import { applyActions } from '../src/mirroring/apply.ts';
import { classifyEc2Error, RetryableError } from '../src/mirroring/errors.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import { planReconcile } from '../src/mirroring/reconcile.ts';
import { reportSlice, type SliceReport } from '../src/mirroring/reconcile-report.ts';
import { loadSlice } from '../src/mirroring/reconcile-work.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { parseOrThrow } from '../src/validation.ts';

const workSchema = z.object({
  mode: z.enum(['reconcile', 'cleanup']),
  instanceIds: z._default(z.array(z.string()), []),
  orphanNetworkInterfaceIds: z._default(z.array(z.string()), []),
  sessionsOfInstanceIds: z._default(z.array(z.string()), []),
  allManagedSessions: z._default(z.boolean(), false),
  vpcIds: z._default(z.array(z.string()), []),
  dryRun: z._default(z.boolean(), false),
});

const inputSchema = z.object({ work: workSchema, executionArn: z.optional(z.string()) });

/** Plans and applies one slice of a reconcile or cleanup: describe, decide (pure), act. */
export const handler = lambdaHandler<unknown, SliceReport>(async (event) => {
  const { work, executionArn } = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  const config = mirroringConfig();
  try {
    const slice = await loadSlice(work, config, ec2);
    const applied = await applyActions(planReconcile(slice), config, ec2, work.dryRun);
    const report = reportSlice(applied);
    // A dry run changed nothing, so it has nothing to announce.
    if (!work.dryRun && config.publishEvents) {
      const events = eventsForActions(applied, { workflow: workflowOfMode(work.mode), ...(executionArn ? { executionArn } : {}) });
      try {
        await putAutotapEvents(events);
      } catch (error) {
        // The changes are made: a retry of the slice would find nothing left to announce. So the
        // loss is counted, and the summary tells the ops topic, instead of failing the slice.
        logger.error('autotap events could not be published', { errorName: (error as Error).name, events: events.length });
        report.counts['unpublished-events'] = (report.counts['unpublished-events'] ?? 0) + events.length;
      }
    }
    return report;
  } catch (error) {
    if (error instanceof RetryableError) throw error;
    const verdict = classifyEc2Error(error as Error);
    if (verdict.action === 'retry') throw new RetryableError(verdict.error, (error as Error).message);
    throw error;
  }
});
