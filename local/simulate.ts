import type { Config } from '../src/config/schema.ts';
import type { EmulatedSession, PublishedMessage } from './emulator/index.ts';
import { startLocalAutotap } from './environment.ts';
import type { Scenario } from './scenario.ts';
import type { ExecutionRecord } from './stepfunctions/runner.ts';

export interface SimulationReport {
  executions: Omit<ExecutionRecord, 'executionArn' | 'stateTransitions' | 'historyEvents' | 'largestPayloadBytes'>[];
  sessions: Omit<EmulatedSession, 'description' | 'virtualNetworkId' | 'packetLength'>[];
  published: { topic: string; subject: string | null; message: string }[];
  calls: Record<string, number>;
}

/** Seeds the emulator, runs every event through the real state machines, and reports the result. */
export async function simulate(scenario: Scenario, config: Config): Promise<SimulationReport> {
  const local = await startLocalAutotap(scenario.seed, config);
  try {
    const executions: ExecutionRecord[] = new Array<ExecutionRecord>(scenario.events.length);
    let next = 0;
    const worker = async () => {
      while (next < scenario.events.length) {
        const index = next++;
        const event = scenario.events[index];
        if (event) executions[index] = await local.run(event.stateMachine, event.input);
      }
    };
    await Promise.all(Array.from({ length: scenario.concurrency }, worker));
    return {
      executions: executions.map(({ stateMachine, input, status, output, error }) => ({
        stateMachine,
        input,
        status,
        output,
        error,
      })),
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

function topicName(arn: string): string {
  return (arn.split(':').pop() ?? arn).replace(/^autotap-local-/, '');
}
