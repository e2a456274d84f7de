import {
  CreateTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  paginateDescribeInstances,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { StateChangeEvent } from './scenario.ts';

/**
 * How the public alternatives to autotap mirror a new instance, modelled from their published code
 * (or, where none is public, their documentation) so that they run on the same burst, the same
 * emulator and the same throttling, through real AWS SDK clients. Each strategy lists what is
 * modelled; what the account scope means is the same for all (the instances autotap would mirror,
 * excluded by the tag `autotap:mirror=false`), since every tool has its own way to name it.
 */

export interface PeerEnvironment {
  /** The load balancer target of each zone. */
  targetsByZone: ReadonlyMap<string, string>;
  filterId: string;
  excluded(tags: Readonly<Record<string, string>>): boolean;
}

export interface PeerInvocation {
  ec2: EC2Client;
  env: PeerEnvironment;
  /** Aborted when the Lambda's timeout passes. */
  signal: AbortSignal;
  /** The EventBridge event (event-driven strategies). */
  event?: StateChangeEvent;
}

/** What one invocation did; a thrown error is a failed invocation. */
export interface InvocationResult {
  created: number;
}

export interface PeerStrategy {
  name: string;
  title: string;
  /** Repository URL and file, or documentation page, the model follows. */
  sources: string[];
  /** What the model reproduces, one line each. */
  modelled: string[];
  trigger: 'event' | 'schedule';
  /** Invocations at once: a number, or `burst` for the in-flight executions the burst uses for autotap. */
  concurrency: number | 'burst';
  /** The SDK's retry settings the tool's runtime has by default. */
  sdk: { maxAttempts: number };
  /** Lambda timeout, model seconds. */
  timeoutSeconds: number;
  /** Retries Lambda gives a failed asynchronous invocation (default 2, after 1 then 2 minutes; EventInvokeConfig may lower it). */
  lambdaRetries: number;
  handle(invocation: PeerInvocation): Promise<InvocationResult>;
}

const options = (signal: AbortSignal) => ({ abortSignal: signal });
const tagsOf = (instance: Instance): Record<string, string> => Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** A refused create the tool logs and forgets: the event is done for it. */
async function createAndForget(ec2: EC2Client, signal: AbortSignal, input: ConstructorParameters<typeof CreateTrafficMirrorSessionCommand>[0]): Promise<number> {
  try {
    await ec2.send(new CreateTrafficMirrorSessionCommand(input), options(signal));
    return 1;
  } catch (error) {
    if (signal.aborted) throw error;
    return 0;
  }
}

async function describeInstance(ec2: EC2Client, signal: AbortSignal, event: StateChangeEvent | undefined): Promise<Instance | undefined> {
  if (!event) throw new Error('an event-driven strategy was invoked without an event');
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [event.detail['instance-id']] }), options(signal));
  return out.Reservations?.[0]?.Instances?.[0];
}

/**
 * AWS's sample: https://github.com/aws-samples/aws-vpc-traffic-mirroring-source-automation,
 * traffic_mirroring/cloudwatch_event_handler.py and traffic_mirroring/app_helper.py.
 */
export const AWS_SAMPLE: PeerStrategy = {
  name: 'aws-sample',
  title: 'AWS sample (source automation)',
  sources: [
    'https://github.com/aws-samples/aws-vpc-traffic-mirroring-source-automation traffic_mirroring/cloudwatch_event_handler.py',
    'https://github.com/aws-samples/aws-vpc-traffic-mirroring-source-automation traffic_mirroring/app_helper.py',
  ],
  modelled: [
    'one Lambda invocation per EventBridge event (asynchronous; as many at once as the burst runs autotap executions)',
    'DescribeInstances of the instance; only its first network interface (NetworkInterfaces[0])',
    'DescribeTrafficMirrorTargets filtered on that ENI: skip it if it is itself a target (no check for an existing session)',
    'the target of the instance\'s zone from its configuration (the sample reads the zone with DescribeSubnets: not counted here)',
    'CreateTrafficMirrorSession with the fixed SessionNumber 100, no tags; a refused create is logged and the event is done',
    'no scope but the VPC / subnet / tag it is configured for: excluded instances and unsupported types are attempted too',
    'template.yaml: Timeout 300, MaximumRetryAttempts 1: a failed describe fails the invocation, which Lambda retries once (1 minute later)',
    'boto3 retries (legacy mode: 5 attempts)',
  ],
  trigger: 'event',
  concurrency: 'burst',
  sdk: { maxAttempts: 5 },
  timeoutSeconds: 300,
  lambdaRetries: 1,
  async handle({ ec2, env, signal, event }) {
    const instance = await describeInstance(ec2, signal, event);
    const eni = instance?.NetworkInterfaces?.[0]?.NetworkInterfaceId;
    if (!instance || !eni) return { created: 0 };
    const asTarget = await ec2.send(new DescribeTrafficMirrorTargetsCommand({ Filters: [{ Name: 'network-interface-id', Values: [eni] }] }), options(signal));
    if ((asTarget.TrafficMirrorTargets ?? []).length > 0) return { created: 0 };
    const target = env.targetsByZone.get(instance.Placement?.AvailabilityZone ?? '');
    if (!target) return { created: 0 };
    const created = await createAndForget(ec2, signal, { NetworkInterfaceId: eni, TrafficMirrorTargetId: target, TrafficMirrorFilterId: env.filterId, SessionNumber: 100 });
    return { created };
  },
};

/**
 * Check Point's CloudGuard / Infinity NDR mirroring Lambdas: no source is public. Documentation:
 * https://sc1.checkpoint.com/documents/Infinity_Portal/WebAdminGuides/EN/NDR-Deployment-Guide/Content/Topics-NDR-DG/NDR-for-AWS.htm
 */
export const CHECK_POINT: PeerStrategy = {
  name: 'check-point',
  title: 'Check Point NDR (from its documentation)',
  sources: ['https://sc1.checkpoint.com/documents/Infinity_Portal/WebAdminGuides/EN/NDR-Deployment-Guide/Content/Topics-NDR-DG/NDR-for-AWS.htm'],
  modelled: [
    'no code is public: modelled from the documentation (Lambdas provision mirroring per VPC and zone to an NLB, for all ENIs that match a mirroring policy)',
    'one Lambda invocation per event; DescribeInstances, then every ENI of an instance in scope to the NLB of its zone',
    'assumed, not documented: the fixed SessionNumber 1, no check for an existing session, a refused create logged and not retried',
    'unsupported instance types are attempted (the documentation names no list)',
    'AWS SDK default retries (standard mode: 3 attempts)',
  ],
  trigger: 'event',
  concurrency: 'burst',
  sdk: { maxAttempts: 3 },
  timeoutSeconds: 30,
  lambdaRetries: 2,
  async handle({ ec2, env, signal, event }) {
    const instance = await describeInstance(ec2, signal, event);
    if (!instance || env.excluded(tagsOf(instance))) return { created: 0 };
    const target = env.targetsByZone.get(instance.Placement?.AvailabilityZone ?? '');
    if (!target) return { created: 0 };
    let created = 0;
    for (const eni of instance.NetworkInterfaces ?? []) {
      if (!eni.NetworkInterfaceId) continue;
      created += await createAndForget(ec2, signal, { NetworkInterfaceId: eni.NetworkInterfaceId, TrafficMirrorTargetId: target, TrafficMirrorFilterId: env.filterId, SessionNumber: 1 });
    }
    return { created };
  },
};

/** AutoMirror's session number: 1 on a fresh ENI, else the last listed session's number + 1, none past 3. */
export function lastPlusOne(sessions: readonly { NetworkInterfaceId?: string; SessionNumber?: number }[], networkInterfaceId: string): number | null {
  const own = sessions.filter((s) => s.NetworkInterfaceId === networkInterfaceId);
  if (own.length === 0) return 1;
  if (own.length < 3) return (own[own.length - 1]?.SessionNumber ?? 0) + 1;
  return null;
}

/** 3CORESec AutoMirror: https://github.com/3CORESec/AWS-AutoMirror, Code/index.js and template.yaml. */
export const AUTO_MIRROR: PeerStrategy = {
  name: 'automirror',
  title: '3CORESec AutoMirror',
  sources: ['https://github.com/3CORESec/AWS-AutoMirror Code/index.js', 'https://github.com/3CORESec/AWS-AutoMirror template.yaml'],
  modelled: [
    'one invocation per state-change event, ReservedConcurrentExecutions 1: invocations run one at a time, the others wait (Lambda keeps throttled asynchronous events and retries them)',
    'each invocation scans the account: DescribeTrafficMirrorSessions (one page, NextToken ignored), DescribeInstances twice (the tags Mirror and mirror; here: the instances in scope), DescribeTrafficMirrorTargets, DescribeTrafficMirrorFilters',
    'for each instance, its first ENI only, unless it has 3 sessions or one to the same target and filter',
    'the last target and last filter listed for every ENI (no zone)',
    'SessionNumber = the last listed number on the ENI + 1 (1 on a fresh ENI), from the scan, not from EC2 at create time',
    'all creates at once (Promise.all); any refused create fails the invocation, which Lambda retries twice (1 and 2 minutes later)',
    'Lambda timeout 30 s; aws-sdk v2 retries (3 retries: 4 attempts)',
  ],
  trigger: 'event',
  concurrency: 1,
  sdk: { maxAttempts: 4 },
  timeoutSeconds: 30,
  lambdaRetries: 2,
  async handle({ ec2, env, signal }) {
    const sessions = (await ec2.send(new DescribeTrafficMirrorSessionsCommand({}), options(signal))).TrafficMirrorSessions ?? [];
    const instances: Instance[] = [];
    for (let spelling = 0; spelling < 2; spelling += 1) {
      const out = await ec2.send(new DescribeInstancesCommand({}), options(signal));
      if (spelling === 0) for (const r of out.Reservations ?? []) instances.push(...(r.Instances ?? []));
    }
    const targets = (await ec2.send(new DescribeTrafficMirrorTargetsCommand({}), options(signal))).TrafficMirrorTargets ?? [];
    const filters = (await ec2.send(new DescribeTrafficMirrorFiltersCommand({}), options(signal))).TrafficMirrorFilters ?? [];
    const target = targets[targets.length - 1]?.TrafficMirrorTargetId;
    const filter = filters[filters.length - 1]?.TrafficMirrorFilterId;
    if (!target || !filter) return { created: 0 };
    const used = sessions.map((s) => ({ NetworkInterfaceId: s.NetworkInterfaceId, SessionNumber: s.SessionNumber, target: s.TrafficMirrorTargetId, filter: s.TrafficMirrorFilterId }));
    const creates: Promise<unknown>[] = [];
    for (const instance of instances) {
      if (env.excluded(tagsOf(instance))) continue;
      const eni = instance.NetworkInterfaces?.[0]?.NetworkInterfaceId;
      if (!eni) continue;
      const own = used.filter((u) => u.NetworkInterfaceId === eni);
      if (own.length >= 3 || own.some((u) => u.target === target && u.filter === filter)) continue;
      const number = lastPlusOne(used, eni);
      if (number === null) {
        creates.push(Promise.reject(new Error(`Interface ${eni} already has 3 sessions`)));
        continue;
      }
      used.push({ NetworkInterfaceId: eni, SessionNumber: number, target, filter });
      creates.push(
        ec2.send(
          new CreateTrafficMirrorSessionCommand({
            NetworkInterfaceId: eni,
            SessionNumber: number,
            TrafficMirrorFilterId: filter,
            TrafficMirrorTargetId: target,
            Description: 'Created by AutoMirror',
            TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'Name', Value: instance.InstanceId ?? '' }] }],
          }),
          options(signal),
        ),
      );
    }
    const settled = await Promise.allSettled(creates);
    const created = settled.filter((s) => s.status === 'fulfilled').length;
    const failed = settled.length - created;
    if (failed > 0) throw Object.assign(new Error(`${failed} of ${settled.length} creates refused`), { created });
    return { created };
  },
};

/** The instance types Vectra's tool taps (its FOREST_SPECIES list: Nitro families of 2020), sizes large to 4xlarge. */
const VECTRA_TYPES = ['a1', 'c5', 'c5d', 'c5n', 'i3en', 'm5', 'm5a', 'm5ad', 'm5d', 'r5', 'r5a', 'r5ad', 'r5d', 't3', 't3a', 'z1d'].flatMap((family) =>
  ['medium', 'large', 'xlarge', '2xlarge', '4xlarge'].map((size) => `${family}.${size}`),
);

/**
 * Vectra's session manager: https://github.com/vectranetworks/AWS-Traffic-Mirroring-Session-Manager,
 * aws_network_tap/tap.py, models/spile_tapper.py, models/spile.py, models/sap_filter.py.
 */
export const VECTRA: PeerStrategy = {
  name: 'vectra',
  title: 'Vectra session manager (periodic scan)',
  sources: [
    'https://github.com/vectranetworks/AWS-Traffic-Mirroring-Session-Manager aws_network_tap/models/spile_tapper.py',
    'https://github.com/vectranetworks/AWS-Traffic-Mirroring-Session-Manager aws_network_tap/models/spile.py',
    'https://github.com/vectranetworks/AWS-Traffic-Mirroring-Session-Manager aws_network_tap/models/sap_filter.py',
  ],
  modelled: [
    'a scheduled full scan (the README: "when this tool is scheduled to run under AWS Lambda"; no period published, see the run parameters)',
    'DescribeInstances paginated, filtered on its list of Nitro instance types; every ENI of each instance, one after the other',
    'per ENI: DescribeTrafficMirrorSessions filtered on the ENI and session number 1; if none and the instance is running and not blacklisted (here: the exclusion tag), DescribeTrafficMirrorFilters then CreateTrafficMirrorSession',
    'the fixed SessionNumber 1 and the one target configured for the VPC (no zone)',
    'an unexpected error (throttled after the SDK\'s retries) ends the scan; the next period goes on',
    'boto3 retries (legacy mode: 5 attempts)',
  ],
  trigger: 'schedule',
  concurrency: 1,
  sdk: { maxAttempts: 5 },
  timeoutSeconds: 900,
  lambdaRetries: 0,
  async handle({ ec2, env, signal }) {
    const vpcTarget = [...env.targetsByZone.values()].sort()[0];
    if (!vpcTarget) return { created: 0 };
    let created = 0;
    const pages = paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'instance-type', Values: VECTRA_TYPES }] });
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          const blacklisted = env.excluded(tagsOf(instance));
          for (const eni of instance.NetworkInterfaces ?? []) {
            const id = eni.NetworkInterfaceId;
            if (!id) continue;
            const found = await ec2.send(
              new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'network-interface-id', Values: [id] }, { Name: 'session-number', Values: ['1'] }] }),
              options(signal),
            );
            if ((found.TrafficMirrorSessions ?? []).length > 0 || instance.State?.Name !== 'running' || blacklisted) continue;
            await ec2.send(new DescribeTrafficMirrorFiltersCommand({ Filters: [{ Name: 'traffic-mirror-filter-id', Values: [env.filterId] }] }), options(signal));
            await ec2.send(
              new CreateTrafficMirrorSessionCommand({
                NetworkInterfaceId: id,
                TrafficMirrorTargetId: vpcTarget,
                TrafficMirrorFilterId: env.filterId,
                SessionNumber: 1,
                Description: 'Vectra EC2 ',
                TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'Creator', Value: 'Vectra:Tap' }] }],
              }),
              options(signal),
            );
            created += 1;
          }
        }
      }
    }
    return { created };
  },
};

export const PEER_STRATEGIES: readonly PeerStrategy[] = [AWS_SAMPLE, CHECK_POINT, AUTO_MIRROR, VECTRA];
