import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type Clock } from './faults.ts';
import {
  parseFaults,
  parseSeed,
  type EmulatorFaults,
  type EmulatorSeed,
  type FilterSeed,
  type InstanceSeed,
  type NetworkInterfaceSeed,
  type SessionSeed,
  type TargetSeed,
} from './seed.ts';
import { CallLog, createListener } from './server.ts';
import { EventBuses, type RecordedEvent, type RuleStateName } from './eventbridge.ts';
import { StepFunctions, type StateMachineExecutor } from './stepfunctions.ts';
import { Account, type MessageAttribute, type PublishedMessage, type Tags } from './state.ts';
import { EmulatedOrganization, type OrganizationSeed } from './organization.ts';

/**
 * A local EC2 + SNS + SQS + Secrets Manager + EventBridge + Step Functions endpoint for the calls autotap makes: real SDK clients point at `endpoint`
 * (or the variables from `env()`), tests steer and inspect it through this object.
 */

export { emulatorSeedSchema, faultsSchema, parseSeed, parseFaults, readSeedFile, SeedError } from './seed.ts';
export type {
  EmulatorSeed,
  ParsedEmulatorSeed,
  EmulatorFaults,
  ParsedFaults,
  InstanceSeed,
  NetworkInterfaceSeed,
  SessionSeed,
  TargetSeed,
} from './seed.ts';
export { EmulatorStateError } from './state.ts';
export type { MessageAttribute, PublishedMessage, Tags } from './state.ts';
export type { Clock } from './faults.ts';
export type { RecordedEvent, RuleStateName } from './eventbridge.ts';
export type { ExecutionResult, StateMachineExecutor } from './stepfunctions.ts';

export interface EmulatorOptions {
  /** Milliseconds, like Date.now: drives token-bucket refills and invisibility windows. */
  clock?: Clock;
  /** Replaces the seed's faults. */
  faults?: EmulatorFaults;
  /**
   * State machines of the emulated Step Functions API, by name, each with what runs an execution.
   * The emulator only keeps the executions' records; local/environment.ts plugs in the real runner.
   */
  stateMachines?: Record<string, StateMachineExecutor>;
  /** Other accounts and Regions, member roles and shared targets (local/emulator/organization.ts). */
  organization?: OrganizationSeed;
}

export interface EmulatedSession {
  trafficMirrorSessionId: string;
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  sessionNumber: number;
  packetLength?: number;
  virtualNetworkId?: number;
  description?: string;
  tags: Tags;
}

export interface EmulatedInstance {
  instanceId: string;
  instanceType: string;
  state: string;
  availabilityZone: string;
  launchTime: string;
  tags: Tags;
  networkInterfaceIds: string[];
}

export interface QueuedMessageView {
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface EmulatorEnv {
  AWS_ENDPOINT_URL_EC2: string;
  AWS_ENDPOINT_URL_SNS: string;
  AWS_ENDPOINT_URL_SQS: string;
  AWS_ENDPOINT_URL_SECRETS_MANAGER: string;
  AWS_ENDPOINT_URL_EVENTBRIDGE: string;
  AWS_ENDPOINT_URL_SFN: string;
  AWS_ENDPOINT_URL_CLOUDTRAIL: string;
  AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: string;
  AWS_ENDPOINT_URL_IAM: string;
  AWS_ENDPOINT_URL_LAMBDA: string;
  AWS_ENDPOINT_URL_STS: string;
  AWS_ENDPOINT_URL_ORGANIZATIONS: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

export interface Emulator {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** The live model, for inspections the methods below do not cover. */
  readonly account: Account;
  /** Every account and Region behind the endpoint (the home one is `account`). */
  readonly organization: EmulatedOrganization;
  env(): EmulatorEnv;
  sessions(): EmulatedSession[];
  instances(): EmulatedInstance[];
  published(): PublishedMessage[];
  /** Every call per action, failed and throttled ones included. */
  calls(): Record<string, number>;
  /** Calls per action that were answered with success. */
  successfulCalls(): Record<string, number>;
  resetCalls(): void;
  setFaults(faults: EmulatorFaults): void;
  /** Faults of one account and Region's EC2 alone (a throttled member account), in place of the shared ones. */
  setPlaceFaults(accountId: string, region: string, faults: EmulatorFaults): void;
  setAccountSessionLimit(limit: number): void;
  addInstance(instance: InstanceSeed): void;
  addNetworkInterface(networkInterface: NetworkInterfaceSeed): void;
  addTarget(target: TargetSeed): void;
  /** A filter without rules mirrors nothing, as in AWS. */
  addFilter(id: string, tags?: Tags, rules?: FilterSeed['rules']): void;
  /** Returns the session id (generated unless given). Quotas are not checked: seed any state. */
  addSession(session: SessionSeed): string;
  stopInstance(id: string): void;
  startInstance(id: string): void;
  terminateInstance(id: string): void;
  detachNetworkInterface(id: string): void;
  attachNetworkInterface(id: string, instanceId: string, deviceIndex: number): void;
  deleteNetworkInterface(id: string): void;
  /** Returns the topic ARN. */
  createTopic(nameOrArn: string): string;
  /** Returns the queue URL. */
  createQueue(name: string): string;
  queueUrl(name: string): string;
  /** Bodies of the messages still in the queue (in flight or not), oldest first. */
  queueMessages(name: string): QueuedMessageView[];
  /** Creates or replaces a secret; returns its ARN. */
  putSecret(nameOrArn: string, value: string): string;
  /** Events accepted by PutEvents, oldest first, on every bus. */
  events(): RecordedEvent[];
  createEventBus(name: string): void;
  /** Creates or updates a rule on the default bus (listed by ListRules; it matches nothing). */
  putEventRule(name: string, state?: RuleStateName): void;
  /** The next `count` valid PutEvents entries are reported failed with `errorCode` (default InternalFailure). */
  failEventEntries(count: number, errorCode?: string): void;
  /** Adds a state machine to the Step Functions API; returns its ARN. */
  defineStateMachine(name: string, executor: StateMachineExecutor): string;
  /** Waits for the Step Functions executions still running. */
  settleExecutions(): Promise<void>;
  /** Waits for running executions (at most 10 s), then stops the server. */
  close(): Promise<void>;
}

/** How long close() waits for Step Functions executions still running. */
const CLOSE_WAIT_MS = 10_000;

export async function startEmulator(seed: EmulatorSeed = {}, options: EmulatorOptions = {}): Promise<Emulator> {
  const parsed = parseSeed(seed);
  const clock = options.clock ?? Date.now;
  const account = new Account(parsed, clock);
  const faults = new FaultInjector(options.faults ? parseFaults(options.faults) : parsed.faults, clock);
  const calls = new CallLog();
  const events = new EventBuses(account.region, account.accountId, clock);
  for (const name of parsed.eventBuses) events.create(name);
  for (const rule of parsed.eventRules) events.putRule(rule.name, rule.state);
  const stepFunctions = new StepFunctions(account.region, account.accountId, clock);
  for (const [name, executor] of Object.entries(options.stateMachines ?? {})) stepFunctions.define(name, executor);
  const organization = new EmulatedOrganization(account, options.organization ?? {}, clock);
  const server = createServer(createListener({ account, organization, faults, calls, events, stepFunctions }));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    region: account.region,
    accountId: account.accountId,
    account,
    organization,
    env: () => ({
      AWS_ENDPOINT_URL_EC2: endpoint,
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
      AWS_ENDPOINT_URL_SFN: endpoint,
      AWS_ENDPOINT_URL_CLOUDTRAIL: endpoint,
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoint,
      AWS_ENDPOINT_URL_IAM: endpoint,
      AWS_ENDPOINT_URL_LAMBDA: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ENDPOINT_URL_ORGANIZATIONS: endpoint,
      AWS_REGION: account.region,
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
    }),
    sessions: () =>
      [...account.sessions.values()].map((s) => {
        const session: EmulatedSession = {
          trafficMirrorSessionId: s.id,
          networkInterfaceId: s.networkInterfaceId,
          trafficMirrorTargetId: s.targetId,
          trafficMirrorFilterId: s.filterId,
          sessionNumber: s.sessionNumber,
          virtualNetworkId: s.virtualNetworkId,
          tags: { ...s.tags },
        };
        if (s.packetLength !== undefined) session.packetLength = s.packetLength;
        if (s.description !== undefined) session.description = s.description;
        return session;
      }),
    instances: () =>
      [...account.instances.values()].map((i) => ({
        instanceId: i.id,
        instanceType: i.instanceType,
        state: i.state,
        availabilityZone: i.availabilityZone,
        launchTime: i.launchTime,
        tags: { ...i.tags },
        networkInterfaceIds: account.interfacesOf(i.id).map((eni) => eni.id),
      })),
    published: () => account.published.map((m) => ({ ...m, messageAttributes: copyAttributes(m.messageAttributes) })),
    calls: () => ({ ...calls.all }),
    successfulCalls: () => ({ ...calls.succeeded }),
    resetCalls: () => calls.reset(),
    setFaults: (next) => faults.configure(parseFaults(next)),
    setPlaceFaults: (accountId, region, next) => organization.setPlaceFaults(accountId, region, parseFaults(next)),
    setAccountSessionLimit: (limit) => {
      account.accountSessionLimit = parseSeed({ accountSessionLimit: limit }).accountSessionLimit;
    },
    addInstance: (instance) => void account.addInstance(instance),
    addNetworkInterface: (eni) => void account.addNetworkInterface(eni),
    addTarget: (target) => void account.addTarget(target),
    addFilter: (id, tags = {}, rules = []) => void account.addFilter({ id, tags, rules }),
    addSession: (session) => account.addSession(session).id,
    stopInstance: (id) => account.stopInstance(id),
    startInstance: (id) => account.startInstance(id),
    terminateInstance: (id) => account.terminateInstance(id),
    detachNetworkInterface: (id) => account.detachNetworkInterface(id),
    attachNetworkInterface: (id, instanceId, deviceIndex) =>
      account.attachNetworkInterface(id, instanceId, deviceIndex),
    deleteNetworkInterface: (id) => account.deleteNetworkInterface(id),
    createTopic: (nameOrArn) => account.createTopic(nameOrArn),
    createQueue: (name) => `${endpoint}/${account.accountId}/${account.queues.create(name).name}`,
    queueUrl: (name) => `${endpoint}/${account.accountId}/${account.queues.named(name).name}`,
    queueMessages: (name) =>
      account.queues
        .named(name)
        .messages.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount })),
    putSecret: (nameOrArn, value) => account.secrets.put(nameOrArn, value).arn,
    events: () =>
      events.recorded.map((e) => ({ ...e, resources: [...e.resources], detail: structuredClone(e.detail) })),
    createEventBus: (name) => events.create(name),
    putEventRule: (name, state) => events.putRule(name, state),
    failEventEntries: (count, errorCode) => events.failEntries(count, errorCode),
    defineStateMachine: (name, executor) => stepFunctions.define(name, executor),
    settleExecutions: () => stepFunctions.settle(),
    close: async () => {
      // Bounded: an executor that never ends (a test that failed before finishing it) must not hang close().
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        stepFunctions.settle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function copyAttributes(attributes: Record<string, MessageAttribute>): Record<string, MessageAttribute> {
  return Object.fromEntries(Object.entries(attributes).map(([name, a]) => [name, { ...a }]));
}
