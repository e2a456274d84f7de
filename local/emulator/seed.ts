import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssues } from '../../src/validation.ts';
import { RULE_STATES } from './eventbridge.ts';

/**
 * The emulator's starting state, which is also the scenario-file format. Ids may be short
 * (`eni-1`, `tmt-web`) so scenarios stay readable; AWS's own ids (`eni-0123456789abcdef0`) fit too.
 */

const resourceId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-z]+$`), {
    message: `expected an id like ${prefix}-0123456789abcdef0 (${prefix}- then lowercase letters or digits)`,
  });

export const instanceIdSchema = resourceId('i');
export const networkInterfaceIdSchema = resourceId('eni');
export const targetIdSchema = resourceId('tmt');
export const filterIdSchema = resourceId('tmf');
export const sessionIdSchema = resourceId('tms');

const availabilityZone = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'expected an availability zone like us-east-1a' });
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected a region like us-east-1' });
const tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});

export const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
export const TARGET_TYPES = ['network-interface', 'network-load-balancer', 'gateway-load-balancer-endpoint'] as const;
/** Interface types EC2 reports; only `interface` may be a mirror source. */
export const INTERFACE_TYPES = [
  'interface',
  'efa',
  'efa-only',
  'trunk',
  'branch',
  'lambda',
  'nat_gateway',
  'network_load_balancer',
  'gateway_load_balancer',
  'gateway_load_balancer_endpoint',
  'vpc_endpoint',
  'transit_gateway',
  'load_balancer',
  'api_gateway_managed',
  'aws_codestar_connections_managed',
  'global_accelerator_managed',
  'iot_rules_managed',
  'quicksight',
  'ec2_instance_connect_endpoint',
] as const;

/**
 * What EC2 leaves undocumented, answerable either way so that autotap is proven under both answers.
 * - `clientTokenAfterDelete`: a CreateTrafficMirrorSession ClientToken used again, with the same
 *   parameters, after its session was deleted: `replay` answers the original response (the deleted
 *   session's id), `create` creates a new session.
 * - `duplicateSessionNumbers`: a second session on one ENI with a number already used there:
 *   `refuse` answers InvalidParameterValue, `accept` creates it.
 */
export const undocumentedSchema = z
  .object({
    clientTokenAfterDelete: z.enum(['replay', 'create']).default('replay'),
    duplicateSessionNumbers: z.enum(['refuse', 'accept']).default('refuse'),
  })
  .strict();

export const networkInterfaceSeedSchema = z
  .object({
    id: networkInterfaceIdSchema,
    deviceIndex: z.number().int().min(0).max(31).optional(),
    interfaceType: z.enum(INTERFACE_TYPES).default('interface'),
    deleteOnTermination: z.boolean().default(true),
    subnetId: resourceId('subnet').optional(),
    vpcId: resourceId('vpc').optional(),
    description: z.string().optional(),
    securityGroupIds: z.array(resourceId('sg')).default([]),
    tags,
  })
  .strict();

/**
 * An ENI outside any instance (a target appliance's ENI, a Lambda ENI, a detached one, a load
 * balancer's). `requesterId` makes it requester-managed: created by that service on the account's
 * behalf, such as `amazon-elb` (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html).
 */
export const standaloneNetworkInterfaceSeedSchema = networkInterfaceSeedSchema
  .omit({ deviceIndex: true, deleteOnTermination: true })
  .extend({ availabilityZone: availabilityZone.optional(), requesterId: z.string().min(1).optional() })
  .strict();

export const instanceSeedSchema = z
  .object({
    id: instanceIdSchema,
    instanceType: z
      .string()
      .regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, { message: 'expected an instance type like m5.large' })
      .default('m5.large'),
    state: z.enum(INSTANCE_STATES).default('running'),
    availabilityZone: availabilityZone.optional(),
    vpcId: resourceId('vpc').optional(),
    subnetId: resourceId('subnet').optional(),
    tags,
    launchTime: z.iso
      .datetime({ offset: true, message: 'expected an ISO 8601 time like 2026-01-01T00:00:00Z' })
      .optional(),
    networkInterfaces: z.array(networkInterfaceSeedSchema).default([]),
  })
  .strict();

export const targetSeedSchema = z
  .object({
    id: targetIdSchema,
    type: z.enum(TARGET_TYPES),
    availabilityZone: availabilityZone.optional(),
    networkInterfaceId: networkInterfaceIdSchema.optional(),
    networkLoadBalancerArn: z.string().startsWith('arn:').optional(),
    gatewayLoadBalancerEndpointId: resourceId('vpce').optional(),
    /** Distinct source ENIs an ENI target accepts: 10, or 100 on the largest instance sizes. */
    maxSources: z.number().int().min(1).optional(),
    description: z.string().optional(),
    tags,
  })
  .strict()
  .superRefine((target, ctx) => {
    if (target.type !== 'network-interface') {
      if (target.networkInterfaceId !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['networkInterfaceId'],
          message: `only a network-interface target has a networkInterfaceId (this one is ${target.type})`,
        });
      }
      if (target.maxSources !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxSources'],
          message: `only a network-interface target has a source limit (${target.type} targets are unlimited)`,
        });
      }
    }
  });

const cidr = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, { message: 'expected an IPv4 CIDR block like 10.0.0.0/16' });

/**
 * A traffic mirror filter rule, as CreateTrafficMirrorFilterRule takes it
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorFilterRule.html):
 * rule numbers 1-32766, protocol a number (6 TCP, 17 UDP; absent: all).
 */
export const filterRuleSeedSchema = z
  .object({
    direction: z.enum(['ingress', 'egress']),
    ruleNumber: z.number().int().min(1).max(32766),
    action: z.enum(['accept', 'reject']).default('accept'),
    protocol: z.number().int().min(0).max(255).optional(),
    sourceCidrBlock: cidr.default('0.0.0.0/0'),
    destinationCidrBlock: cidr.default('0.0.0.0/0'),
  })
  .strict();

/**
 * Traffic mirror filters hold at most 10 rules, inbound and outbound together
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-limits.html).
 */
export const FILTER_RULE_LIMIT = 10;

export const filterSeedSchema = z
  .object({
    id: filterIdSchema,
    description: z.string().optional(),
    tags,
    /** None by default: a filter without rules mirrors nothing, as in AWS. */
    rules: z
      .array(filterRuleSeedSchema)
      .max(FILTER_RULE_LIMIT, { message: `expected at most ${FILTER_RULE_LIMIT} rules (AWS's limit per filter)` })
      .default([]),
  })
  .strict()
  .superRefine((filter, ctx) => {
    const seen = new Set<string>();
    filter.rules.forEach((rule, i) => {
      const key = `${rule.direction}:${rule.ruleNumber}`;
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'ruleNumber'],
          message: `rule number ${rule.ruleNumber} is used twice for ${rule.direction}`,
        });
      seen.add(key);
    });
  });

export const securityGroupIdSchema = resourceId('sg');

/** A VPC and its IPv4 CIDR blocks, the first the primary one. */
export const vpcSeedSchema = z
  .object({
    id: resourceId('vpc'),
    cidrs: z.array(cidr).min(1).max(5, { message: 'expected at most 5 CIDR blocks (AWS default quota per VPC)' }),
  })
  .strict();

/** An inbound rule: IpProtocol `udp`, `tcp`, `icmp` or `-1` (all), a port range, and its sources. */
const inboundRuleSeedSchema = z
  .object({
    protocol: z.enum(['udp', 'tcp', 'icmp', '-1']),
    fromPort: z.number().int().min(-1).max(65535).optional(),
    toPort: z.number().int().min(-1).max(65535).optional(),
    cidrs: z.array(cidr).default([]),
    groupIds: z.array(securityGroupIdSchema).default([]),
  })
  .strict()
  .refine((r) => r.protocol === '-1' || (r.fromPort !== undefined && r.toPort !== undefined), {
    message: 'expected fromPort and toPort (only protocol -1 covers every port)',
  });

export const securityGroupSeedSchema = z
  .object({
    id: securityGroupIdSchema,
    name: z.string().min(1).max(255).optional(),
    vpcId: resourceId('vpc').optional(),
    inbound: z.array(inboundRuleSeedSchema).default([]),
  })
  .strict();

const listenerSeedSchema = z
  .object({
    /** ELBv2 listener protocols (API reference, Listener). */
    protocol: z.enum(['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE', 'QUIC', 'TCP_QUIC']),
    port: z.number().int().min(1).max(65535),
  })
  .strict();

export const loadBalancerSeedSchema = z
  .object({
    arn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(net|app|gwy)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
        {
          message:
            'expected a load balancer ARN like arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensor/0123456789abcdef',
        },
      ),
    type: z.enum(['network', 'application', 'gateway']).default('network'),
    availabilityZones: z.array(availabilityZone).min(1).default(['us-east-1a']),
    listeners: z.array(listenerSeedSchema).default([]),
  })
  .strict();

const selectorField = z
  .object({
    field: z.string().min(1),
    equals: z.array(z.string()).optional(),
    notEquals: z.array(z.string()).optional(),
  })
  .strict();

/**
 * A CloudTrail trail: where it applies, whether it logs, and its event selectors (basic or
 * advanced, never both: CloudTrail refuses both on one trail). Without selectors a trail logs every
 * management event, read and write (API reference, EventSelector).
 */
export const trailSeedSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/, { message: 'expected a trail name (3-128 letters, digits, . _ -)' }),
    homeRegion: region.optional(),
    multiRegion: z.boolean().default(true),
    logging: z.boolean().default(true),
    eventSelectors: z
      .array(
        z
          .object({
            readWriteType: z.enum(['ReadOnly', 'WriteOnly', 'All']).default('All'),
            includeManagementEvents: z.boolean().default(true),
            excludeManagementEventSources: z.array(z.string()).default([]),
          })
          .strict(),
      )
      .max(5, { message: 'expected at most 5 event selectors (CloudTrail limit per trail)' })
      .optional(),
    advancedEventSelectors: z
      .array(z.object({ name: z.string().optional(), fieldSelectors: z.array(selectorField).min(1) }).strict())
      .optional(),
  })
  .strict()
  .refine((t) => t.eventSelectors === undefined || t.advancedEventSelectors === undefined, {
    message: 'expected eventSelectors or advancedEventSelectors, not both',
  });

const statementSeedSchema = z
  .object({
    effect: z.enum(['Allow', 'Deny']),
    actions: z.array(z.string().min(1)).min(1),
    resources: z.array(z.string().min(1)).min(1),
  })
  .strict();

/** An IAM role with inline policies (what the stack's functions have), for SimulatePrincipalPolicy. */
export const roleSeedSchema = z
  .object({
    name: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, { message: 'expected a role name (1-64 letters, digits and +=,.@_-)' }),
    policies: z
      .array(z.object({ name: z.string().min(1), statements: z.array(statementSeedSchema) }).strict())
      .default([]),
  })
  .strict();

/** A deployed Lambda function and the name of its role (in roles). */
export const functionSeedSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected a function name (1-64 letters, digits, - and _)' }),
    role: z.string().min(1),
    /** Its reserved concurrency, which the account's unreserved pool loses (GetAccountSettings). */
    reservedConcurrency: z.number().int().min(0).optional(),
  })
  .strict();

/** A subscription to a seeded topic; email subscriptions wait for the recipient's confirmation. */
export const subscriptionSeedSchema = z
  .object({
    topic: z.string().min(1),
    protocol: z.enum(['email', 'email-json', 'sqs', 'lambda', 'https', 'http', 'sms']),
    endpoint: z.string().min(1),
    pendingConfirmation: z.boolean().default(false),
    /** A filter policy, which counts toward the topic's snsFilterPoliciesPerTopic. */
    filterPolicy: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const sessionSeedSchema = z
  .object({
    id: sessionIdSchema.optional(),
    networkInterfaceId: networkInterfaceIdSchema,
    targetId: targetIdSchema,
    filterId: filterIdSchema,
    sessionNumber: z.number().int().min(1).max(32766),
    packetLength: z.number().int().min(1).max(8500).optional(),
    virtualNetworkId: z.number().int().min(0).max(16777215).optional(),
    description: z.string().optional(),
    tags,
  })
  .strict();

const topic = z.string().regex(/^(arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:)?[A-Za-z0-9_-]{1,256}(\.fifo)?$/, {
  message:
    'expected a topic name (letters, digits, - and _) or a topic ARN like arn:aws:sns:us-east-1:123456789012:alerts',
});

const queueName = z.string().regex(/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/, {
  message: 'expected a queue name (1-80 letters, digits, - and _, plus .fifo)',
});

const secretSeedSchema = z
  .object({
    arn: z
      .string()
      .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
        message: 'expected a secret ARN like arn:aws:secretsmanager:us-east-1:123456789012:secret:name-AbCdEf',
      })
      .optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, { message: 'expected a secret name (letters, digits and /_+=.@-)' })
      .optional(),
    value: z.string(),
  })
  .strict()
  .refine((s) => (s.arn === undefined) !== (s.name === undefined), { message: 'expected either arn or name' });

const bucketSchema = z.object({ capacity: z.number().int().min(1), refillPerSecond: z.number().min(0) }).strict();

const probability = z.number().min(0).max(1);

export const faultsSchema = z
  .object({
    throttle: z
      .object({
        /** Token buckets per action class, as EC2 throttles: Describe* calls and mutating calls. */
        describe: bucketSchema.optional(),
        mutate: bucketSchema.optional(),
        /** Or independent of load: each call (of `actions`, default all) is throttled with this probability. */
        rate: probability.optional(),
        actions: z.array(z.string().min(1)).optional(),
        seed: z.number().int().optional(),
      })
      .strict()
      .optional(),
    /** An instance or ENI answers NotFound to its first N calls that name it (eventual consistency). */
    invisibleForCalls: z.number().int().min(0).default(0),
    /** An instance or ENI is absent for its first M milliseconds after it was created or seeded. */
    invisibleForMs: z.number().min(0).default(0),
    serverErrors: z
      .object({
        /** Default: every action. */
        actions: z.array(z.string().min(1)).optional(),
        /** The first `count` calls of each listed action fail. */
        count: z.number().int().min(0).optional(),
        rate: probability.optional(),
        code: z.enum(['InternalError', 'Unavailable']).default('InternalError'),
        seed: z.number().int().optional(),
      })
      .strict()
      .optional(),
    latencyMs: z.number().min(0).default(0),
    /**
     * Traffic mirror sessions are eventually consistent (EC2 API guide, "Eventual consistency":
     * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html): a created session
     * is missing from its first N DescribeTrafficMirrorSessions calls, and a deleted one still shows
     * in them. 0 answers at once, which is one of the answers EC2 may give.
     */
    sessionLagCalls: z.number().int().min(0).default(0),
    /** The same window in milliseconds of the emulator's clock; a session is hidden while either lasts. */
    sessionLagMs: z.number().min(0).default(0),
  })
  .strict();

export const emulatorSeedSchema = z
  .object({
    region: region.default('us-east-1'),
    accountId: z
      .string()
      .regex(/^\d{12}$/, { message: 'expected a 12-digit account id' })
      .default('123456789012'),
    targets: z.array(targetSeedSchema).default([]),
    filters: z.array(filterSeedSchema).default([]),
    instances: z.array(instanceSeedSchema).default([]),
    networkInterfaces: z.array(standaloneNetworkInterfaceSeedSchema).default([]),
    securityGroups: z.array(securityGroupSeedSchema).default([]),
    vpcs: z.array(vpcSeedSchema).default([]),
    loadBalancers: z.array(loadBalancerSeedSchema).default([]),
    trails: z.array(trailSeedSchema).default([]),
    subscriptions: z.array(subscriptionSeedSchema).default([]),
    roles: z.array(roleSeedSchema).default([]),
    functions: z.array(functionSeedSchema).default([]),
    sessions: z.array(sessionSeedSchema).default([]),
    topics: z.array(topic).default([]),
    queues: z.array(queueName).default([]),
    secrets: z.array(secretSeedSchema).default([]),
    /** Custom EventBridge buses; the account's `default` bus always exists. */
    eventBuses: z
      .array(
        z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, { message: 'expected an event bus name (letters, digits, . _ -)' }),
      )
      .default([]),
    /** EventBridge rules on the default bus, listed by ListRules (they match nothing: no targets are modelled). */
    eventRules: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(/^[.\-_A-Za-z0-9]{1,64}$/, { message: 'expected a rule name (1-64 letters, digits, . - _)' }),
            state: z.enum(RULE_STATES).default('ENABLED'),
          })
          .strict(),
      )
      .default([]),
    /**
     * Types refused as mirror sources on top of those AWS refuses (src/mirroring/instance-types.ts,
     * which always applies), for scenarios of a type AWS stops supporting.
     */
    unsupportedInstanceTypes: z
      .array(
        z.string().regex(/^[a-z0-9.*?-]+$/, { message: 'expected an instance type or glob such as t2.* or m5.?large' }),
      )
      .default([]),
    undocumented: undocumentedSchema.default({ clientTokenAfterDelete: 'replay', duplicateSessionNumbers: 'refuse' }),
    /**
     * Traffic Mirroring allows 10,000 sessions per account, not adjustable
     * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-limits.html): a scenario may
     * lower it to meet the limit sooner, never raise it.
     */
    accountSessionLimit: z
      .number()
      .int()
      .min(0)
      .max(10_000, { message: 'expected at most 10000, the sessions AWS allows an account (not adjustable)' })
      .default(10_000),
    /**
     * Lambda's concurrent executions of the account (1,000 by default,
     * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The functions' reserved
     * concurrency must leave 100 unreserved, as Lambda enforces
     * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
     */
    lambdaConcurrentExecutions: z.number().int().min(1).default(1000),
    /**
     * SNS's filter policies per topic, 200 by default and adjustable
     * (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html).
     */
    snsFilterPoliciesPerTopic: z.number().int().min(1).default(200),
    faults: faultsSchema.default({
      invisibleForCalls: 0,
      invisibleForMs: 0,
      latencyMs: 0,
      sessionLagCalls: 0,
      sessionLagMs: 0,
    }),
  })
  .strict()
  .superRefine((seed, ctx) => {
    const seen = new Map<string, string>();
    const unique = (id: string, path: (string | number)[]) => {
      const first = seen.get(id);
      if (first) ctx.addIssue({ code: 'custom', path, message: `duplicate id ${id} (already used at ${first})` });
      else seen.set(id, path.join('.'));
    };
    const enis = new Set<string>();
    seed.instances.forEach((instance, i) => {
      unique(instance.id, ['instances', i, 'id']);
      const indexes = new Set<number>();
      instance.networkInterfaces.forEach((eni, j) => {
        unique(eni.id, ['instances', i, 'networkInterfaces', j, 'id']);
        enis.add(eni.id);
        const index = eni.deviceIndex ?? j;
        if (indexes.has(index)) {
          ctx.addIssue({
            code: 'custom',
            path: ['instances', i, 'networkInterfaces', j, 'deviceIndex'],
            message: `device index ${index} is used twice on ${instance.id}`,
          });
        }
        indexes.add(index);
      });
    });
    seed.networkInterfaces.forEach((eni, i) => {
      unique(eni.id, ['networkInterfaces', i, 'id']);
      enis.add(eni.id);
    });
    const groups = new Set(seed.securityGroups.map((g) => g.id));
    const checkGroups = (ids: string[], path: (string | number)[]) =>
      ids.forEach((id, k) => {
        if (!groups.has(id))
          ctx.addIssue({ code: 'custom', path: [...path, k], message: `no security group ${id} in securityGroups` });
      });
    seed.networkInterfaces.forEach((eni, i) =>
      checkGroups(eni.securityGroupIds, ['networkInterfaces', i, 'securityGroupIds']),
    );
    seed.instances.forEach((instance, i) =>
      instance.networkInterfaces.forEach((eni, j) =>
        checkGroups(eni.securityGroupIds, ['instances', i, 'networkInterfaces', j, 'securityGroupIds']),
      ),
    );
    const roles = new Set(seed.roles.map((r) => r.name));
    const reserved = seed.functions.reduce((sum, fn) => sum + (fn.reservedConcurrency ?? 0), 0);
    if (reserved > seed.lambdaConcurrentExecutions - 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['functions'],
        message: `the functions reserve ${reserved} of ${seed.lambdaConcurrentExecutions} concurrent executions; Lambda keeps 100 unreserved`,
      });
    }
    const filtered = new Map<string, number>();
    seed.subscriptions.forEach((s, i) => {
      if (s.filterPolicy === undefined) return;
      const count = (filtered.get(s.topic) ?? 0) + 1;
      filtered.set(s.topic, count);
      if (count > seed.snsFilterPoliciesPerTopic)
        ctx.addIssue({
          code: 'custom',
          path: ['subscriptions', i, 'filterPolicy'],
          message: `topic ${s.topic} already has ${seed.snsFilterPoliciesPerTopic} filter policies (snsFilterPoliciesPerTopic)`,
        });
    });
    seed.functions.forEach((fn, i) => {
      if (!roles.has(fn.role))
        ctx.addIssue({ code: 'custom', path: ['functions', i, 'role'], message: `no role ${fn.role} in roles` });
    });
    const targets = new Set<string>();
    seed.targets.forEach((target, i) => {
      unique(target.id, ['targets', i, 'id']);
      targets.add(target.id);
    });
    const filters = new Set<string>();
    seed.filters.forEach((filter, i) => {
      unique(filter.id, ['filters', i, 'id']);
      filters.add(filter.id);
    });
    seed.sessions.forEach((session, i) => {
      if (session.id) unique(session.id, ['sessions', i, 'id']);
      if (!enis.has(session.networkInterfaceId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sessions', i, 'networkInterfaceId'],
          message: `no network interface ${session.networkInterfaceId} in instances or networkInterfaces`,
        });
      }
      if (!targets.has(session.targetId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sessions', i, 'targetId'],
          message: `no target ${session.targetId} in targets`,
        });
      }
      if (!filters.has(session.filterId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sessions', i, 'filterId'],
          message: `no filter ${session.filterId} in filters`,
        });
      }
    });
  });

/** What a caller writes: every defaulted field may be left out. */
export type EmulatorSeed = z.input<typeof emulatorSeedSchema>;
/** The seed after defaults are applied. */
export type ParsedEmulatorSeed = z.infer<typeof emulatorSeedSchema>;
export type EmulatorFaults = z.input<typeof faultsSchema>;
export type ParsedFaults = z.infer<typeof faultsSchema>;
export type InstanceSeed = z.input<typeof instanceSeedSchema>;
export type NetworkInterfaceSeed = z.input<typeof standaloneNetworkInterfaceSeedSchema>;
export type SessionSeed = z.input<typeof sessionSeedSchema>;
export type TargetSeed = z.input<typeof targetSeedSchema>;
export type FilterSeed = z.input<typeof filterSeedSchema>;
/** A trail after defaults (the emulator's record of it). */
export type TrailSeed = z.infer<typeof trailSeedSchema>;

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

/** Validates a seed; the error lists every problem as `path: message` (`instances[0].id: ...`). */
export function parseSeed(value: unknown, source = 'seed'): ParsedEmulatorSeed {
  const result = emulatorSeedSchema.safeParse(value ?? {});
  if (!result.success) throw new SeedError(`invalid ${source}: ${describeIssues(result.error)}`);
  return result.data;
}

export function parseFaults(value: unknown): ParsedFaults {
  const result = faultsSchema.safeParse(value ?? {});
  if (!result.success) throw new SeedError(`invalid faults: ${describeIssues(result.error, 'faults')}`);
  return result.data;
}

/** Reads a scenario file (YAML or JSON; JSON is YAML). */
export async function readSeedFile(path: string): Promise<ParsedEmulatorSeed> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new SeedError(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  return parseSeed(value, path);
}
