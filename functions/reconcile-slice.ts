import * as z from 'zod/mini';
import { mirroringConfig, requiredVariable } from '../src/config/environment.ts';
import { SessionRegistryTable } from '../src/aws/session-registry.ts';
import * as ec2 from '../src/aws/ec2.ts';
import { putAutotapEvents } from '../src/aws/eventbridge.ts';
import { workflowOfMode } from '../src/mirroring/autotap-events.ts';
import { applyActions } from '../src/mirroring/apply.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import { planReconcile } from '../src/mirroring/reconcile.ts';
import { announceActions, reportSlice, type SliceReport } from '../src/mirroring/reconcile-report.ts';
import { loadSlice } from '../src/mirroring/reconcile-work.ts';
import { applyRegistryChanges, changesOfApplied } from '../src/mirroring/registry.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
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
  const slice = await loadSlice(work, config, ec2);
  const applied = await applyActions(planReconcile(slice), config, ec2, work.dryRun);
  const workflow = workflowOfMode(work.mode);
  if (!work.dryRun)
    await applyRegistryChanges(
      new SessionRegistryTable(requiredVariable('SESSIONS_TABLE', 'the sessions table name')),
      changesOfApplied(applied, { workflow, ...(executionArn ? { executionArn } : {}), now: new Date() }),
    );
  const report = reportSlice(applied);
  // A dry run changed nothing, so it has nothing to announce.
  if (!work.dryRun && config.publishEvents) {
    const origin = { workflow, ...(executionArn ? { executionArn } : {}) };
    const unpublished = await announceActions(applied, origin, putAutotapEvents);
    if (unpublished > 0) report.counts['unpublished-events'] = (report.counts['unpublished-events'] ?? 0) + unpublished;
  }
  return report;
});
