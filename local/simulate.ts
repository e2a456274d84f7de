import type { Config } from '../src/config/schema.ts';
import type { EmulatedSession, PublishedMessage } from './emulator/index.ts';
import { forEachWithLimit } from '../src/parallel.ts';
import { changesScope, parseTagChange, scopeTagKeys } from '../src/mirroring/tag-changes.ts';
import { metricTotals, type MetricTotal } from './cloudwatch/embedded-metrics.ts';
import { startLocalAutotap, type LocalAutotap } from './environment.ts';
import { deliverTagChanges } from './tag-changes.ts';
import { routeEvent } from './eventbridge/router.ts';
import type { Scenario } from './scenario.ts';
import { organizationSeedOf } from './scenario-organization.ts';
import type { ExecutionRecord } from './stepfunctions/runner.ts';

export type SimulatedExecution = Omit<
  ExecutionRecord,
  'executionArn' | 'stateTransitions' | 'historyEvents' | 'largestPayloadBytes'
> & {
  /** The position of the scenario event that started it. */
  event: number;
  /** The rule that started it as deployed (autotap-<stage>-<name>), or null for a start by hand. */
  rule: string | null;
  /** The account and Region it acted in: its event's, or the input's `place`; absent, the home account's. */
  place?: { accountId: string; region: string };
  /**
   * Set when the tag-changes queue started it: every scenario event (and its rule) it coalesced.
   * `event` and `rule` are then the first of them.
   */
  coalesced?: { events: number[]; rules: string[] };
};

/** A scenario event that no rule of the stack matches: EventBridge would deliver it nowhere. */
export interface UnroutedEvent {
  event: number;
  source: string;
  detailType: string;
  /** CloudTrail's eventName, for API call events. */
  eventName?: string;
}

/** Events the tag rules queued: how the queue's consumer answered them. */
export interface TagChangesSummary {
  queued: number;
  /** Events that named no instance, or changed only keys outside the scope: nothing to start. */
  ignored: number[];
  /** Events parked in the queue's dead-letter queue (not tag events, or no reconcile could start). */
  parked: { event: number; reason: string }[];
}

export interface SimulationReport {
  executions: SimulatedExecution[];
  unrouted: UnroutedEvent[];
  tagChanges: TagChangesSummary;
  /** Every session at the end; with `accounts:`, of every account and Region, each naming them. */
  sessions: (Omit<EmulatedSession, 'description' | 'virtualNetworkId' | 'packetLength'> & {
    accountId?: string;
    region?: string;
  })[];
  published: { topic: string; subject: string | null; message: string }[];
  calls: Record<string, number>;
  /** Set when the scenario is an organization's (`accounts:`). */
  organization?: true;
  /** autotap's metrics the Lambdas wrote, summed by name and dimensions (as the local CloudWatch kept them). */
  metrics: MetricTotal[];
}

/**
 * Seeds the emulator, delivers every event through the stack's EventBridge rules to the real state
 * machines (a start by hand goes straight to its state machine), and reports the result: each
 * execution with the rule that started it, and the events no rule matched.
 */
export async function simulate(
  scenario: Scenario,
  config: Config,
  /** Looks at the local AWS once the events have run, before it stops (`status --scenario`). */
  afterwards?: (local: LocalAutotap) => Promise<void>,
): Promise<SimulationReport> {
  const local = await startLocalAutotap(scenario.seed, config, {
    stage: SIMULATION_STAGE,
    ...(scenario.organization
      ? { organization: organizationSeedOf(scenario.organization, config, SIMULATION_STAGE) }
      : {}),
    recordedSessions: scenario.recorded.map((s) => ({
      trafficMirrorSessionId: s.id,
      networkInterfaceId: s.networkInterfaceId,
      instanceId: s.instanceId,
      trafficMirrorTargetId: s.targetId,
      sessionNumber: s.sessionNumber,
    })),
  });
  try {
    // Every start the scenario's events make, in their order: through the rules, or by hand.
    const starts: { event: number; rule: string | null; stateMachine: string; input: unknown }[] = [];
    const queued: { event: number; rule: string; input: unknown }[] = [];
    const unrouted: UnroutedEvent[] = [];
    scenario.events.forEach((entry, event) => {
      if (entry.via === 'console') {
        starts.push({ event, rule: null, stateMachine: entry.stateMachine, input: entry.input });
        return;
      }
      const deliveries = routeEvent(happeningNow(entry.event), SIMULATION_STAGE, config);
      if (deliveries.length === 0) unrouted.push(unroutedOf(event, entry.event));
      for (const d of deliveries) {
        if (d.queue) queued.push({ event, rule: d.rule, input: d.input });
        else starts.push({ event, rule: d.rule, stateMachine: d.stateMachine, input: d.input });
      }
    });
    const home = { accountId: local.emulator.accountId, region: local.emulator.region };
    const executions: SimulatedExecution[] = new Array<SimulatedExecution>(starts.length);
    await forEachWithLimit(starts, scenario.concurrency, async (start, index) => {
      const { stateMachine, input, status, output, error } = await local.run(start.stateMachine, start.input);
      const place = placeOf(start.input) ?? home;
      executions[index] = { event: start.event, rule: start.rule, place, stateMachine, input, status, output, error };
    });
    // The queue's consumer reads in batches, after a window: its reconciles follow the direct starts.
    const tagChanges = await runTagChanges(local, queued, config);
    executions.push(...tagChanges.executions);
    await afterwards?.(local);
    return {
      executions,
      unrouted,
      tagChanges: tagChanges.summary,
      sessions: sessionsOf(local, scenario),
      ...(scenario.organization ? { organization: true as const } : {}),
      published: local.emulator.published().map((m: PublishedMessage) => ({
        topic: topicName(m.topicArn),
        subject: m.subject ?? null,
        message: m.message,
      })),
      calls: local.emulator.calls(),
      metrics: metricTotals(local.metrics()),
    };
  } finally {
    await local.close();
  }
}

/**
 * A scenario's event happens when the simulation delivers it: its `time` (EventBridge's envelope)
 * becomes now, so that what is measured from it (launch to mirrored) is what a live event would give.
 */
function happeningNow(event: Record<string, unknown>): Record<string, unknown> {
  return typeof event.time === 'string' ? { ...event, time: new Date().toISOString() } : event;
}

/** Delivers the queued tag events to the tag-changes queue and attributes its reconciles to them. */
async function runTagChanges(
  local: LocalAutotap,
  queued: { event: number; rule: string; input: unknown }[],
  config: Config,
): Promise<{ executions: SimulatedExecution[]; summary: TagChangesSummary }> {
  const summary: TagChangesSummary = { queued: queued.length, ignored: [], parked: [] };
  if (queued.length === 0) return { executions: [], summary };
  const before = local.started.length;
  const run = await deliverTagChanges(queued.map((q) => q.input));
  await local.emulator.settleExecutions();
  const scopeKeys = scopeTagKeys(config.mirroring.scope);
  const named = queued.map(
    (q): { event: number; rule: string; input: unknown; instanceIds: string[]; invalid?: string } => {
      try {
        const change = parseTagChange(q.input);
        return { ...q, instanceIds: changesScope(change, scopeKeys) ? change.instanceIds : [] };
      } catch (error) {
        return { ...q, instanceIds: [], invalid: (error as Error).message };
      }
    },
  );
  const parkedBodies = new Set(run.deadLetters);
  for (const q of named) {
    if (parkedBodies.has(JSON.stringify(q.input)))
      summary.parked.push({ event: q.event, reason: q.invalid ?? 'no reconcile could be started' });
    else if (q.instanceIds.length === 0) summary.ignored.push(q.event);
  }
  const executions = local.started.slice(before).map((record): SimulatedExecution => {
    const ids = new Set((record.input as { instanceIds?: string[] }).instanceIds ?? []);
    const mine = named.filter((q) => q.instanceIds.some((id) => ids.has(id)));
    const { stateMachine, input, status, output, error } = record;
    return {
      event: mine[0]?.event ?? -1,
      rule: mine[0]?.rule ?? null,
      coalesced: { events: mine.map((q) => q.event), rules: [...new Set(mine.map((q) => q.rule))] },
      stateMachine,
      input,
      status,
      output,
      error,
    };
  });
  return { executions, summary };
}

/** The account and Region an execution's input names: an event's envelope, or a `place` typed by hand. */
function placeOf(input: unknown): { accountId: string; region: string } | undefined {
  const record = (input ?? {}) as Record<string, unknown>;
  if (typeof record.account === 'string' && typeof record.region === 'string')
    return { accountId: record.account, region: record.region };
  const place = record.place as { accountId?: unknown; region?: unknown } | undefined;
  return typeof place?.accountId === 'string' && typeof place.region === 'string'
    ? { accountId: place.accountId, region: place.region }
    : undefined;
}

/** The sessions at the end: the home account's, or with an organization every place's, each naming its place. */
function sessionsOf(local: LocalAutotap, scenario: Scenario): SimulationReport['sessions'] {
  const shape = (s: {
    id: string;
    networkInterfaceId: string;
    targetId: string;
    filterId: string;
    sessionNumber: number;
    tags: Record<string, string>;
  }) => ({
    trafficMirrorSessionId: s.id,
    networkInterfaceId: s.networkInterfaceId,
    trafficMirrorTargetId: s.targetId,
    trafficMirrorFilterId: s.filterId,
    sessionNumber: s.sessionNumber,
    tags: { ...s.tags },
  });
  if (!scenario.organization) return [...local.emulator.account.sessions.values()].map(shape);
  return local.emulator.organization
    .allPlaces()
    .flatMap((place) =>
      [...place.sessions.values()].map((s) => ({ accountId: place.accountId, region: place.region, ...shape(s) })),
    );
}

/** The stage the local stack's names carry (rules, state machines). */
export const SIMULATION_STAGE = 'dev';

function unroutedOf(event: number, raw: Record<string, unknown>): UnroutedEvent {
  const detail = raw.detail as Record<string, unknown> | undefined;
  const eventName = typeof detail?.eventName === 'string' ? detail.eventName : undefined;
  return {
    event,
    source: String(raw.source),
    detailType: String(raw['detail-type']),
    ...(eventName ? { eventName } : {}),
  };
}

function topicName(arn: string): string {
  return (arn.split(':').pop() ?? arn).replace(/^autotap-local-/, '');
}
