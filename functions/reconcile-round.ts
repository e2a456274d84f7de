import * as z from 'zod/mini';
import { mirroringConfig, organizationSection, requiredVariable } from '../src/config/environment.ts';
import { actingPlace, ec2ClientIn, ec2In, homePlace, mirroringIn } from '../src/aws/places.ts';
import { putAutotapEvents } from '../src/aws/eventbridge.ts';
import { SessionRegistryTable } from '../src/aws/session-registry.ts';
import { applyActions } from '../src/mirroring/apply.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import { normalizeReconcileInput, type ReconcileRequest } from '../src/mirroring/reconcile-input.ts';
import {
  announceActions,
  mergeReports,
  placeReport,
  reportSlice,
  type SliceReport,
} from '../src/mirroring/reconcile-report.ts';
import {
  actionsAfter,
  applyRound,
  describeAccount,
  describeInstances,
  planAccountRound,
  ROUND_RESERVE_MS,
} from '../src/mirroring/reconcile-round.ts';
import { applyRegistryChanges, changesOfApplied, recordedIn, registryDrift } from '../src/mirroring/registry.ts';
import { resolveTamper, tamperRequest } from '../src/mirroring/tamper.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { coverageMetrics } from '../src/mirroring/metrics.ts';
import { parseOrThrow } from '../src/validation.ts';
import type { Place } from '../src/mirroring/reconcile-input.ts';

const reportSchema = z.object({
  counts: z.record(z.string(), z.number()),
  actions: z.array(z.any()),
  truncated: z.number(),
});

const inputSchema = z.object({
  progress: z.object({
    /** The execution's input in round 0; the normalized request after it. */
    request: z.unknown(),
    round: z.int().check(z.minimum(0)),
    cursor: z.string(),
    report: reportSchema,
    /** The account and Region of this round (the reconcile's Map item); null: the stack's own. */
    place: z.optional(z.nullable(z.object({ accountId: z.string(), region: z.string() }))),
  }),
  executionArn: z.optional(z.string()),
});

export interface RoundProgress {
  request: ReconcileRequest;
  round: number;
  cursor: string;
  /** Planned actions not applied yet: the state machine runs another round while there are any. */
  remaining: number;
  failedRounds: number;
  report: SliceReport;
  place: Place | null;
}

/**
 * Actions the state keeps as examples for the ops report (the counts cover them all). In an
 * organization the report names the places instead: every place's result shares one state.
 */
export const ACTIONS_KEPT = 100;

/** In an organization: one action needing a human per place (src/organization/scope.ts MAX_RECONCILE_PLACES). */
export const ACTIONS_KEPT_PER_PLACE = 1;

/** One round of `reconcile`: describe the account, plan, apply what the time allows; counts out. */
export const handler = lambdaHandler<unknown, RoundProgress>(async (event, context) => {
  const { progress, executionArn } = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  const deadline = Date.now() + context.getRemainingTimeInMillis() - ROUND_RESERVE_MS;
  const organization = organizationSection();
  const place = actingPlace(progress.place, organization);
  // In a member account: its role's client, its override and its filter (src/aws/places.ts).
  const client = ec2ClientIn(place, organization);
  const config = await mirroringIn(mirroringConfig(), place, organization, client);
  const ec2 = ec2In(client, place, organization);
  const accountId = place?.accountId;
  const registry = new SessionRegistryTable(requiredVariable('SESSIONS_TABLE', 'the sessions table name'));
  let request = normalizeReconcileInput(progress.request);
  // Someone else's delete or modify: the session's instance is looked up once, in the first round.
  const tamper = request.tamper && !request.tamper.resolved ? request.tamper : undefined;
  if (tamper) {
    const ports = {
      lookup: (id: string) => registry.lookup(id),
      describeSession: (id: string) => ec2.describeSession(id),
    };
    request = tamperRequest(await resolveTamper(tamper, config.onTamper, ports));
  }
  const describedAt = new Date();
  // A tag change (or a request by hand) about some instances describes those, not the account.
  const snapshot =
    request.instanceIds !== undefined
      ? await describeInstances(request.instanceIds, request.vpcIds, config, ec2, accountId)
      : await describeAccount(request.vpcIds, config, ec2, accountId);
  const pending = actionsAfter(await planAccountRound(snapshot, config, request.vpcIds, ec2), progress.cursor);
  const round = await applyRound(
    pending,
    progress.cursor,
    (batch) => applyActions(batch, config, ec2, request.dryRun),
    () => Date.now() < deadline,
  );
  const recording = {
    workflow: 'reconcile' as const,
    ...(executionArn ? { executionArn } : {}),
    now: new Date(),
    ...(place ? { place } : {}),
  };
  if (!request.dryRun) await applyRegistryChanges(registry, changesOfApplied(round.applied, recording));
  // A whole-account round lines the registry up with what EC2 showed, once per execution.
  if (!request.dryRun && request.instanceIds === undefined && progress.round === 0)
    await applyRegistryChanges(
      registry,
      registryDrift(
        (await registry.list()).filter((r) => recordedIn(r, place, homePlace(organization))),
        snapshot.sessions,
        describedAt,
        recording,
      ),
    );
  // The deleted session is gone whatever autotap does about it; its record goes once the round is done.
  if (tamper && request.tamper?.eventName === 'DeleteTrafficMirrorSession' && !request.tamper.ignored)
    await registry.forget([tamper.trafficMirrorSessionId]);
  const report = reportSlice(round.applied);
  // A dry run changed nothing, so it has nothing to announce.
  if (!request.dryRun && config.publishEvents) {
    const unpublished = await announceActions(
      round.applied,
      { workflow: 'reconcile', ...(executionArn ? { executionArn } : {}) },
      putAutotapEvents,
    );
    if (unpublished > 0) report.counts['unpublished-events'] = unpublished;
  }
  // Coverage as the account stood when the execution began: its first round over the whole account.
  if (request.instanceIds === undefined && progress.round === 0) publishMetrics(coverageMetrics(snapshot, config));
  logger.info('reconcile round', {
    ...(place ? { place } : {}),
    round: progress.round,
    instances: snapshot.instances.length,
    sessions: snapshot.sessions.length,
    applied: round.applied.length,
    remaining: round.remaining,
    counts: report.counts,
  });
  return {
    request,
    round: progress.round + 1,
    cursor: round.cursor,
    remaining: round.remaining,
    failedRounds: 0,
    report: place
      ? placeReport(mergeReports([progress.report, report], ACTIONS_KEPT), ACTIONS_KEPT_PER_PLACE)
      : mergeReports([progress.report, report], ACTIONS_KEPT),
    place: progress.place ?? null,
  };
});
