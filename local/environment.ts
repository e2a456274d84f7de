import { captureEmbeddedMetrics, type MetricDatum } from './cloudwatch/embedded-metrics.ts';
import { SessionRegistryTable } from '../src/aws/session-registry.ts';
import type { Config } from '../src/config/schema.ts';
import type { SessionRecord, SessionRegistry } from '../src/mirroring/registry.ts';
import { INSTANCE_TAG, isManagedSession } from '../src/mirroring/types.ts';
import { createSessionsTable, startDynalite, type LocalDynamo } from './dynamodb.ts';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type EmulatorSeed,
  type StateMachineExecutor,
} from './emulator/index.ts';
import {
  loadStateMachine,
  runExecution,
  type ExecutionRecord,
  type LoadedMachine,
  type RunOptions,
} from './stepfunctions/runner.ts';

/**
 * autotap on a local AWS: the emulator for EC2 and SNS, dynalite for the session registry, the real
 * state machine definitions and the real handlers, wired through the same environment variables the deployed Lambdas read. The stage
 * configuration, which packaging bundles into each function's code, comes from AUTOTAP_CONFIG here
 * (src/config/environment.ts reads it when the code runs unbundled).
 */
export interface LocalAutotap {
  emulator: Emulator;
  /** The session registry the workflows write (SESSIONS_TABLE). */
  registry: SessionRegistry;
  dynamo: LocalDynamo;
  opsTopicArn: string;
  run(stateMachine: string, input: unknown, options?: RunOptions): Promise<ExecutionRecord>;
  /** Executions started through the emulated Step Functions API (by a Lambda), as each finished. */
  started: ExecutionRecord[];
  /** The metrics the Lambdas wrote to their log (as EMF) since the start, as CloudWatch keeps them. */
  metrics(): MetricDatum[];
  close(): Promise<void>;
}

export const STATE_MACHINES = ['mirror-instances', 'reconcile', 'cleanup-sessions'] as const;

export interface LocalAutotapOptions extends EmulatorOptions {
  /** Pause of every Retry in ms (default 5: retries keep their count, not their wait). */
  retryPauseMs?: number;
  /**
   * Stage of the state machines on the emulated Step Functions API (`autotap-<stage>-<name>`);
   * default `dev`, the stage `autotap rerun` assumes.
   */
  stage?: string;
  /**
   * Whether the seed's autotap sessions start in the registry, as if autotap had created them
   * (default true); false plays sessions made before the registry existed.
   */
  recordSeedSessions?: boolean;
  /** More sessions to start in the registry: ones autotap made that EC2 no longer shows. */
  recordedSessions?: readonly Omit<SessionRecord, 'workflow' | 'reason' | 'recordedAt'>[];
}

export async function startLocalAutotap(
  seed: EmulatorSeed,
  config: Config,
  options: LocalAutotapOptions = {},
): Promise<LocalAutotap> {
  // The emulated Step Functions API runs the real definitions with the real handlers, as `run` does.
  const stage = options.stage ?? 'dev';
  const stateMachines: Record<string, StateMachineExecutor> = { ...options.stateMachines };
  const started: ExecutionRecord[] = [];
  for (const name of STATE_MACHINES) {
    stateMachines[`autotap-${stage}-${name}`] ??= async (input, execution) => {
      const record = await runExecution(machine(name), input, {
        retryPauseMs: options.retryPauseMs ?? 5,
        executionArn: execution.executionArn,
      });
      started.push(record);
      return {
        status: record.status,
        output: record.output,
        ...(record.error ? { error: record.error.name, cause: record.error.message } : {}),
      };
    };
  }
  const emulator = await startEmulator(seed, { ...options, stateMachines });
  let dynamo: LocalDynamo;
  let sessionsTable: string;
  try {
    dynamo = await startDynalite();
    sessionsTable = await createSessionsTable(dynamo.endpoint);
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const opsTopicArn = emulator.createTopic('autotap-local-ops');
  Object.assign(process.env, emulator.env(), {
    // As Step Functions names it (the emulator defines the machines above under these names).
    RECONCILE_STATE_MACHINE_ARN: `arn:aws:states:${emulator.env().AWS_REGION}:${emulator.accountId}:stateMachine:autotap-${stage}-reconcile`,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    SESSIONS_TABLE: sessionsTable,
    AUTOTAP_CONFIG: JSON.stringify(config),
    OPS_TOPIC_ARN: opsTopicArn,
    EVENT_BUS_NAME: 'default',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    AWS_MAX_ATTEMPTS: process.env.AWS_MAX_ATTEMPTS ?? '3',
    AUTOTAP_STAGE: stage,
  });
  // The Lambdas' metrics, out of the output and into the local CloudWatch, from here to close().
  const capture = captureEmbeddedMetrics();
  const machines = new Map<string, LoadedMachine>();
  const machine = (name: string) => {
    let loaded = machines.get(name);
    if (!loaded) {
      loaded = loadStateMachine(name);
      machines.set(name, loaded);
    }
    return loaded;
  };
  const registry = new SessionRegistryTable(sessionsTable);
  const seeded =
    (options.recordSeedSessions ?? true)
      ? emulator
          .sessions()
          .filter(isManagedSession)
          .map((s) => ({
            trafficMirrorSessionId: s.trafficMirrorSessionId,
            networkInterfaceId: s.networkInterfaceId,
            instanceId: s.tags[INSTANCE_TAG] ?? '',
            trafficMirrorTargetId: s.trafficMirrorTargetId,
            sessionNumber: s.sessionNumber,
          }))
      : [];
  const recordedAt = new Date().toISOString();
  const records = [...seeded, ...(options.recordedSessions ?? [])].map((s) => ({
    ...s,
    workflow: 'mirror-instances' as const,
    reason: 'seeded',
    recordedAt,
  }));
  if (records.length > 0) await registry.record(records);
  return {
    emulator,
    registry,
    dynamo,
    opsTopicArn,
    started,
    run: (stateMachine, input, runOptions) =>
      runExecution(machine(stateMachine), input, { retryPauseMs: options.retryPauseMs ?? 5, ...runOptions }),
    metrics: () => [...capture.metrics],
    close: async () => {
      await Promise.all([emulator.close(), dynamo.close()]);
      capture.stop();
    },
  };
}
