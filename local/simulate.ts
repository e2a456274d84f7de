import type { Config } from '../src/config/schema.ts';
import type { EmulatedSession, PublishedMessage } from './emulator/index.ts';
import { forEachWithLimit } from '../src/parallel.ts';
import { startLocalAutotap } from './environment.ts';
import { routeEvent } from './eventbridge/router.ts';
import type { Scenario } from './scenario.ts';
import type { ExecutionRecord } from './stepfunctions/runner.ts';

export type SimulatedExecution = Omit<
  ExecutionRecord,
  'executionArn' | 'stateTransitions' | 'historyEvents' | 'largestPayloadBytes'
> & {
  /** The position of the scenario event that started it. */
  event: number;
  /** The rule that started it as deployed (autotap-<stage>-<name>), or null for a start by hand. */
  rule: string | null;
};

/** A scenario event that no rule of the stack matches: EventBridge would deliver it nowhere. */
export interface UnroutedEvent {
  event: number;
  source: string;
  detailType: string;
  /** CloudTrail's eventName, for API call events. */
  eventName?: string;
}

export interface SimulationReport {
  executions: SimulatedExecution[];
  unrouted: UnroutedEvent[];
  sessions: Omit<EmulatedSession, 'description' | 'virtualNetworkId' | 'packetLength'>[];
  published: { topic: string; subject: string | null; message: string }[];
  calls: Record<string, number>;
}

/**
 * Seeds the emulator, delivers every event through the stack's EventBridge rules to the real state
 * machines (a start by hand goes straight to its state machine), and reports the result: each
 * execution with the rule that started it, and the events no rule matched.
 */
export async function simulate(scenario: Scenario, config: Config): Promise<SimulationReport> {
  const local = await startLocalAutotap(scenario.seed, config, {
    stage: SIMULATION_STAGE,
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
    const unrouted: UnroutedEvent[] = [];
    scenario.events.forEach((entry, event) => {
      if (entry.via === 'console') {
        starts.push({ event, rule: null, stateMachine: entry.stateMachine, input: entry.input });
        return;
      }
      const deliveries = routeEvent(entry.event, SIMULATION_STAGE, config);
      if (deliveries.length === 0) unrouted.push(unroutedOf(event, entry.event));
      for (const d of deliveries) starts.push({ event, rule: d.rule, stateMachine: d.stateMachine, input: d.input });
    });
    const executions: SimulatedExecution[] = new Array<SimulatedExecution>(starts.length);
    await forEachWithLimit(starts, scenario.concurrency, async (start, index) => {
      const { stateMachine, input, status, output, error } = await local.run(start.stateMachine, start.input);
      executions[index] = { event: start.event, rule: start.rule, stateMachine, input, status, output, error };
    });
    return {
      executions,
      unrouted,
      sessions: local.emulator
        .sessions()
        .map(
          ({
            trafficMirrorSessionId,
            networkInterfaceId,
            trafficMirrorTargetId,
            trafficMirrorFilterId,
            sessionNumber,
            tags,
          }) => ({
            trafficMirrorSessionId,
            networkInterfaceId,
            trafficMirrorTargetId,
            trafficMirrorFilterId,
            sessionNumber,
            tags,
          }),
        ),
      published: local.emulator.published().map((m: PublishedMessage) => ({
        topic: topicName(m.topicArn),
        subject: m.subject ?? null,
        message: m.message,
      })),
      calls: local.emulator.calls(),
    };
  } finally {
    await local.close();
  }
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
