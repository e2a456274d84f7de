import * as z from 'zod/mini';
import { mirroringConfig, organizationSection, requiredVariable } from '../src/config/environment.ts';
import { SessionRegistryTable } from '../src/aws/session-registry.ts';
import { mirroringForAccount } from '../src/organization/scope.ts';
import { actingPlace, ec2ClientIn, ec2In, mirroringIn } from '../src/aws/places.ts';
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
  place: z.optional(z.object({ accountId: z.string(), region: z.string() })),
});

const inputSchema = z.object({ work: workSchema, executionArn: z.optional(z.string()) });

/** Plans and applies one slice of a reconcile or cleanup: describe, decide (pure), act. */
export const handler = lambdaHandler<unknown, SliceReport>(async (event) => {
  const { work, executionArn } = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  const organization = organizationSection();
  const place = actingPlace(work.place, organization);
  // In a member account: its role's client, and its override and filter (src/aws/places.ts).
  const client = ec2ClientIn(place, organization);
  // A cleanup only deletes: it needs the member's override (its targets), not its filter.
  const config =
    work.mode === 'cleanup'
      ? mirroringForAccount(mirroringConfig(), organization, place?.accountId ?? '')
      : await mirroringIn(mirroringConfig(), place, organization, client);
  const ec2 = ec2In(client, place, organization);
  const slice = await loadSlice(work, config, ec2);
  const applied = await applyActions(planReconcile(slice), config, ec2, work.dryRun);
  const workflow = workflowOfMode(work.mode);
  if (!work.dryRun)
    await applyRegistryChanges(
      new SessionRegistryTable(requiredVariable('SESSIONS_TABLE', 'the sessions table name')),
      changesOfApplied(applied, {
        workflow,
        ...(executionArn ? { executionArn } : {}),
        now: new Date(),
        ...(place ? { place } : {}),
      }),
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
