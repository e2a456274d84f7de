import * as z from 'zod/mini';
import { scheduleExpressionProblem } from './schedule.ts';
import {
  DEFAULT_LAMBDA_CONCURRENT_EXECUTIONS,
  DEFAULT_SNS_FILTER_POLICIES_PER_TOPIC,
  LAMBDA_CONCURRENCY_PAGE,
  LAMBDA_MINIMUM_UNRESERVED,
  reservableConcurrency,
  reservedConcurrencies,
  SNS_FILTER_POLICY_PAGE,
  totalReserved,
} from './quotas.ts';

/**
 * The one configuration schema. `config/<stage>.yml` is validated against it at package time (the
 * bundled configuration is that validated output, see src/config/environment.ts), by `autotap` and
 * by the tests. Written with zod's tree-shakable "mini" API.
 *
 * The schemas are built at their first use, not at import: every Lambda imports this module, and a
 * deployed one never validates its bundled configuration again, so building some hundred zod
 * schemas at import would only lengthen its cold start.
 */

const ipv4Cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const ipv6Cidr = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(\d{1,3})$/;

/** The address family of a CIDR block, or undefined when it is not one. */
export function cidrFamily(cidr: string): 'ipv4' | 'ipv6' | undefined {
  const v4 = ipv4Cidr.exec(cidr);
  if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32 ? 'ipv4' : undefined;
  const v6 = ipv6Cidr.exec(cidr);
  return v6 && Number(v6[1]) <= 128 && (cidr.match(/::/g) ?? []).length <= 1 ? 'ipv6' : undefined;
}

/**
 * A filter rule of each direction per address family accepts everything; each exclusion adds a
 * reject rule for each of its directions. A filter holds 10 rules
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-quotas.html).
 */
export const MAX_FILTER_RULES = 10;

/** The created filter's rules: one accept per direction and family, one reject per exclusion and direction. */
export function filterRuleCount(filter: {
  ipv6: boolean;
  exclude: readonly { direction: 'both' | 'ingress' | 'egress' }[];
}): number {
  const accepts = 2 * (filter.ipv6 ? 2 : 1);
  return accepts + filter.exclude.reduce((sum, e) => sum + (e.direction === 'both' ? 2 : 1), 0);
}

interface TargetSources {
  targets: readonly unknown[];
  targetTag?: unknown;
  create?: { target?: unknown } | undefined;
}
/**
 * A mailbox is one address whatever its case: SNS would send twice, and the stack names each
 * subscription by the lowercased address, so two spellings would become one subscription.
 * `filterOf` tells entries whose filters differ apart, so the message can say which one would be lost.
 */
function sameMailboxIssues<T>(
  entries: readonly T[],
  list: string,
  addressOf: (entry: T) => string,
  filterOf?: (entry: T) => string,
) {
  const first = new Map<string, number>();
  const issues: { path: number; message: string }[] = [];
  entries.forEach((entry, index) => {
    const key = addressOf(entry).toLowerCase();
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, index);
      return;
    }
    const other = entries[earlier]!;
    const conflict =
      filterOf && filterOf(other) !== filterOf(entry)
        ? ` with a different filter (${filterOf(entry)} here, ${filterOf(other)} there)`
        : '';
    issues.push({
      path: index,
      message: `"${addressOf(entry)}" is the same address as ${list}[${earlier}] ("${addressOf(other)}")${conflict}; addresses are compared without case, list each once`,
    });
  });
  return issues;
}

/** Where local runs put their stand-ins: plain http is allowed there and nowhere else. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Overrides per stage. Each filter they name is one more resource in the session roles' policies
 * (deploy/roles.ts), which IAM caps at 10,240 characters per role: 20 keeps that far off.
 */
export const MAX_OVERRIDES = 20;

/** Requester IDs of `sources.requesterManaged`: a handful of services, matched in code for each ENI. */
export const MAX_REQUESTER_IDS = 10;

/** The alarms' thresholds unless the stage says otherwise (docs/operations.md, "Alarms"). */
export const DEFAULT_ALARMS = { coverageBelowPercent: 95, launchToMirroredSeconds: 120, pollLagSeconds: 900 };

/** The webhook's reserved concurrency when none is configured: ample for an appliance, small beside the account's 1,000. */
export const DEFAULT_WEBHOOK_RESERVED_CONCURRENCY = 10;

/** Every schema of the configuration, built once (`schemas()`). */
function buildSchemas() {
  const resourceId = (prefix: string) =>
    z.string().check(
      z.regex(new RegExp(`^${prefix}-[0-9a-f]{1,17}$`), {
        message: `expected an id like ${prefix}-0123456789abcdef0`,
      }),
    );

  const filterIdSchema = resourceId('tmf');
  const targetIdSchema = resourceId('tmt');
  const vpcIdSchema = resourceId('vpc');
  const subnetIdSchema = resourceId('subnet');
  // EC2's RequesterId is "the alias or account ID" of whoever created the ENI; no page gives the aliases' grammar.
  const requesterIdSchema = z.string().check(
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, {
      message: 'expected a requester ID as describe-network-interfaces shows it, like an account ID or a service alias',
    }),
  );

  const availabilityZone = z
    .string()
    .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'expected an availability zone like us-east-1a' }));

  const intIn = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
  const riskScore = intIn(1, 99);

  const tagSchema = z.strictObject({
    key: z.string().check(z.minLength(1), z.maxLength(128)),
    value: z.string().check(z.maxLength(256)),
  });

  const configuredTargetSchema = z.strictObject({
    id: targetIdSchema,
    availabilityZone: z.optional(availabilityZone),
    // An ENI target takes 10 sources, 100 on the largest instance sizes; nothing in between.
    maxSources: z.optional(
      z.union([z.literal(10), z.literal(100)], { message: 'expected 10 or 100 (the sources an ENI target takes)' }),
    ),
  });

  const sessionNumberSchema = z
    .strictObject({
      preferred: z._default(intIn(1, 32766), 1),
      min: z._default(intIn(1, 32766), 1),
      max: z._default(intIn(1, 32766), 32766),
    })
    .check(
      z.refine((s) => s.min <= s.preferred && s.preferred <= s.max, { message: 'expected min <= preferred <= max' }),
    );

  /** An EventBridge schedule expression, checked field by field (src/config/schedule.ts). */
  const scheduleSchema = z.string().check(
    z.superRefine((expression, ctx) => {
      const problem = scheduleExpressionProblem(expression);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: expression });
    }),
  );

  const tagMatchSchema = z.record(z.string().check(z.minLength(1)), z.string());

  const scopeSchema = z.strictObject({
    vpcIds: z._default(z.array(vpcIdSchema), []),
    subnetIds: z._default(z.array(subnetIdSchema), []),
    includeTags: z._default(tagMatchSchema, {}),
    excludeTags: z._default(tagMatchSchema, { 'autotap:mirror': 'false' }),
  });

  /** One override: which instances (by tag, like includeTags) and what their sessions get instead. */
  const overrideSchema = z
    .strictObject({
      /** Shown in plan and reconcile reports: why an ENI has this filter. */
      name: z.string().check(
        z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
          message: 'expected a name like dns-http-only (a-z, 0-9, -; up to 63)',
        }),
      ),
      /** Every tag must match (value "*" matches any value); at least one. */
      tags: tagMatchSchema.check(
        z.refine((tags) => Object.keys(tags).length > 0, { message: 'expected at least one tag to match' }),
      ),
      filterId: z.optional(filterIdSchema),
      packetLength: z.optional(z.nullable(intIn(1, 8500))),
    })
    .check(
      z.refine((o) => o.filterId !== undefined || o.packetLength !== undefined, {
        message: 'expected filterId or packetLength (what the override changes)',
      }),
    );

  const cidrSchema = z.string().check(
    z.refine((cidr) => cidrFamily(cidr) !== undefined, {
      message: 'expected a CIDR block like 10.0.5.10/32 or 2001:db8::/64',
    }),
  );
  const ipv4Address = z
    .string()
    .check(z.refine((ip) => cidrFamily(`${ip}/32`) === 'ipv4', { message: 'expected an IPv4 address like 10.0.5.10' }));
  const port = intIn(1, 65535);

  /** Traffic to or from `cidr` (the mirrored instance's peer) that the created filter does not mirror. */
  const filterExclusionSchema = z
    .strictObject({
      cidr: cidrSchema,
      direction: z._default(z.enum(['both', 'ingress', 'egress']), 'both'),
      protocol: z._default(z.enum(['all', 'tcp', 'udp']), 'all'),
      /** The peer's ports, `443` or `[8000, 8099]`; only with protocol tcp or udp. */
      ports: z.optional(z.union([port, z.tuple([port, port])])),
      description: z.optional(z.string().check(z.maxLength(255))),
    })
    .check(
      z.refine((e) => e.ports === undefined || e.protocol !== 'all', {
        message: 'expected protocol tcp or udp with ports (a filter rule has ports only for TCP and UDP)',
        path: ['ports'],
      }),
      z.refine((e) => !Array.isArray(e.ports) || e.ports[0] <= e.ports[1], {
        message: 'expected [from, to] with from <= to',
        path: ['ports'],
      }),
    );

  const createdFilterSchema = z
    .strictObject({
      /** Also mirror IPv6 traffic (two more accept rules). */
      ipv6: z._default(z.boolean(), true),
      /** Mirror the Amazon DNS traffic too (the filter's network service `amazon-dns`). */
      amazonDns: z._default(z.boolean(), false),
      exclude: z._default(z.array(filterExclusionSchema), []),
    })
    .check(
      z.superRefine((filter, ctx) => {
        const rules = filterRuleCount(filter);
        if (rules > MAX_FILTER_RULES) {
          ctx.addIssue({
            code: 'custom',
            path: ['exclude'],
            input: filter.exclude,
            message: `these exclusions need ${rules} filter rules and a filter holds ${MAX_FILTER_RULES} (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-quotas.html); merge CIDR blocks, limit exclusions to one direction, or set ipv6: false`,
          });
        }
        filter.exclude.forEach((exclusion, index) => {
          if (!filter.ipv6 && cidrFamily(exclusion.cidr) === 'ipv6') {
            ctx.addIssue({
              code: 'custom',
              path: ['exclude', index, 'cidr'],
              input: exclusion.cidr,
              message: 'an IPv6 block excludes nothing with ipv6: false (no IPv6 traffic is mirrored)',
            });
          }
        });
      }),
    );

  const createdTargetSchema = z.discriminatedUnion(
    'kind',
    [
      /** An internal Network Load Balancer with a UDP 4789 listener forwarding to the appliance's addresses. */
      z.strictObject({
        kind: z.literal('network-load-balancer'),
        vpcId: vpcIdSchema,
        subnetIds: z
          .array(subnetIdSchema)
          .check(z.minLength(1, { message: 'expected at least one subnet for the load balancer' })),
        applianceIps: z
          .array(ipv4Address)
          .check(z.minLength(1, { message: 'expected at least one appliance address' })),
        /**
         * A TCP port the appliance answers, which the load balancer's health check probes. Required: the
         * traffic port is UDP 4789, where a VXLAN receiver answers no TCP handshake, so a check there
         * would mark every appliance unhealthy and the NLB would drop the mirrored traffic.
         */
        healthCheckPort: z
          .int({
            error: (issue) =>
              issue.input === undefined
                ? 'required: a TCP port the appliance answers (for example 443), which the load balancer health-checks; UDP 4789 cannot be probed over TCP'
                : 'expected an integer port from 1 to 65535',
          })
          .check(z.minimum(1), z.maximum(65535)),
      }),
      /** An endpoint of a given Gateway Load Balancer endpoint service in one subnet. */
      z.strictObject({
        kind: z.literal('gateway-load-balancer-endpoint'),
        serviceName: z.string().check(
          z.regex(/^com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[0-9a-f]+$/, {
            message: 'expected an endpoint service name like com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
          }),
        ),
        vpcId: vpcIdSchema,
        subnetId: subnetIdSchema,
        availabilityZone: z.optional(availabilityZone),
      }),
      /** The sensor's own network interface (its security group must allow UDP 4789 from the sources). */
      z.strictObject({
        kind: z.literal('network-interface'),
        networkInterfaceId: resourceId('eni'),
        availabilityZone: z.optional(availabilityZone),
        maxSources: z.optional(z.union([z.literal(10), z.literal(100)])),
      }),
    ],
    { error: 'expected kind network-load-balancer, gateway-load-balancer-endpoint or network-interface' },
  );

  /**
   * What the stack may create for a stage that has no traffic mirror filter or target yet
   * (`mirroring.create`); deploy/mirroring-resources.ts turns it into CloudFormation resources and the
   * functions receive the created ids in their environment (src/config/created.ts).
   */
  const mirroringCreateSchema = z.strictObject({
    filter: z.optional(createdFilterSchema),
    target: z.optional(createdTargetSchema),
  });

  const mirroringFields = {
    filterId: z.optional(filterIdSchema),
    targets: z._default(z.array(configuredTargetSchema), []),
    targetTag: z.optional(tagSchema),
    crossAz: z._default(z.enum(['prefer-same', 'same-only']), 'prefer-same'),
    sessionNumber: z._default(sessionNumberSchema, { preferred: 1, min: 1, max: 32766 }),
    packetLength: z._default(z.nullable(intIn(1, 8500)), null),
    virtualNetworkId: z._default(z.nullable(intIn(0, 16777215)), null),
    /**
     * A VNI per VPC, so that the appliance can tell the VPCs' traffic apart; the ENIs of other VPCs
     * get `virtualNetworkId`. Distinct per VPC, or the appliance could not.
     */
    virtualNetworkIds: z._default(
      z.record(z.string(), intIn(0, 16777215)).check(
        z.superRefine((vnis, ctx) => {
          const seen = new Map<number, string>();
          for (const [vpcId, vni] of Object.entries(vnis)) {
            if (!/^vpc-[0-9a-f]{1,17}$/.test(vpcId))
              ctx.addIssue({
                code: 'custom',
                path: [vpcId],
                input: vpcId,
                message: 'expected a VPC id like vpc-0123456789abcdef0 as the key',
              });
            const other = seen.get(vni);
            if (other)
              ctx.addIssue({
                code: 'custom',
                path: [vpcId],
                input: vni,
                message: `VNI ${vni} is ${other}'s already: expected a distinct VNI per VPC`,
              });
            seen.set(vni, vpcId);
          }
        }),
      ),
      {},
    ),
    /**
     * Another filter or packet length for the ENIs of instances carrying given tags (for example only
     * DNS and HTTP from one class of instances); the first override that matches wins, the others get
     * `filterId` and `packetLength`.
     */
    overrides: z._default(
      z.array(overrideSchema).check(
        z.maxLength(MAX_OVERRIDES, { message: `expected at most ${MAX_OVERRIDES} overrides` }),
        z.superRefine((overrides, ctx) => {
          const seen = new Set<string>();
          overrides.forEach((o, index) => {
            if (seen.has(o.name))
              ctx.addIssue({
                code: 'custom',
                path: [index, 'name'],
                input: o.name,
                message: `override name ${o.name} is used twice: expected a distinct name per override`,
              });
            seen.add(o.name);
          });
        }),
      ),
      [],
    ),
    /**
     * Kinds of source beyond instances. `ecsTasks`: the rule on ECS task state changes, which names a
     * task's ENI on its EC2 host as soon as the task runs. `loadBalancers`: the ENIs of Application and
     * Classic Load Balancers, with their own filter and packet length if given. `requesterManaged`: the
     * requester-managed ENIs of other services (an RDS DB instance's) whose requester ID is listed.
     */
    sources: z._default(
      z.strictObject({
        ecsTasks: z._default(z.boolean({ message: 'expected true or false' }), false),
        loadBalancers: z._default(
          z.strictObject({
            enabled: z._default(z.boolean({ message: 'expected true or false' }), false),
            filterId: z.optional(filterIdSchema),
            packetLength: z.optional(z.nullable(intIn(1, 8500))),
          }),
          { enabled: false },
        ),
        requesterManaged: z._default(
          z
            .strictObject({
              enabled: z._default(z.boolean({ message: 'expected true or false' }), false),
              requesterIds: z._default(
                z
                  .array(requesterIdSchema)
                  .check(
                    z.maxLength(MAX_REQUESTER_IDS, { message: `expected at most ${MAX_REQUESTER_IDS} requester IDs` }),
                  ),
                [],
              ),
              filterId: z.optional(filterIdSchema),
              packetLength: z.optional(z.nullable(intIn(1, 8500))),
            })
            .check(
              z.superRefine((kind, ctx) => {
                if (kind.enabled && kind.requesterIds.length === 0)
                  ctx.addIssue({
                    code: 'custom',
                    path: ['requesterIds'],
                    input: kind.requesterIds,
                    message:
                      "expected at least one requester ID when enabled (the RequesterId that describe-network-interfaces shows for the service's ENIs)",
                  });
              }),
            ),
          { enabled: false, requesterIds: [] },
        ),
      }),
      { ecsTasks: false, loadBalancers: { enabled: false }, requesterManaged: { enabled: false, requesterIds: [] } },
    ),
    scope: z._default(scopeSchema, {
      vpcIds: [],
      subnetIds: [],
      includeTags: {},
      excludeTags: { 'autotap:mirror': 'false' },
    }),
    onStop: z._default(z.enum(['keep', 'delete']), 'keep'),
    /**
     * When someone else deletes or modifies a session autotap manages: `restore` it at once (and tell
     * ops who did it), or only `report` it. ExtraHop's own integration restores, so that is the default.
     */
    onTamper: z._default(z.enum(['restore', 'report']), 'restore'),
    reconcileSchedule: z._default(scheduleSchema, 'rate(6 hours)'),
    /** Publish autotap's own events (source `autotap`) on the bus EVENT_BUS_NAME. */
    publishEvents: z._default(z.boolean(), true),
    /**
     * USD per session-hour, for `autotap plan`'s cost (default DEFAULT_SESSION_HOURLY_PRICE_USD in
     * src/mirroring/cost.ts); set it to the price of your region from https://aws.amazon.com/vpc/pricing/.
     */
    sessionHourlyPriceUsd: z.optional(z.number().check(z.minimum(0), z.maximum(100))),
    /** Prerequisites the stack creates; their ids reach the functions at deploy time. */
    create: z.optional(mirroringCreateSchema),
  };

  const hasTargets = z.refine<TargetSources>(
    (m) => m.targets.length > 0 || m.targetTag !== undefined || m.create?.target !== undefined,
    {
      message: 'expected at least one entry in targets, a targetTag to discover targets by, or create.target',
      path: ['targets'],
    },
  );

  /** The `mirroring` section as config/<stage>.yml holds it: a filter id, or a filter the stack creates. */
  const mirroringSectionSchema = z.strictObject(mirroringFields).check(
    hasTargets,
    z.superRefine((m, ctx) => {
      if (m.filterId === undefined && m.create?.filter === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['filterId'],
          input: m,
          message: 'expected a traffic mirror filter id (tmf-...), or create.filter for the stack to create one',
        });
      }
      if (m.filterId !== undefined && m.create?.filter !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['create', 'filter'],
          input: m.create,
          message: 'expected either filterId or create.filter, not both (sessions use one filter)',
        });
      }
    }),
  );

  /**
   * The `mirroring` section the functions work with: the filter id is known, the stack's created
   * filter and target (if any) merged in (src/config/created.ts).
   */
  const mirroringSchema = z.strictObject({ ...mirroringFields, filterId: filterIdSchema }).check(hasTargets);

  const emailRecipientSchema = z.strictObject({
    address: z.email({ message: 'expected an email address' }),
    minRiskScore: z.optional(riskScore),
  });

  /** Secrets live in Secrets Manager; the Lambdas read them through its API only. */
  const secretArn = z.string().check(
    z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
      message: 'expected a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
    }),
  );

  /**
   * The appliance URL carries the API key or OAuth token on every request: https only (loopback aside),
   * and no user:password@ (credentials live in Secrets Manager, never in the configuration).
   */
  const applianceUrlSchema = z.url({ message: 'expected the appliance URL, e.g. https://extrahop.example.com' }).check(
    z.superRefine((text, ctx) => {
      if (!URL.canParse(text)) return;
      const url = new URL(text);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
        ctx.addIssue({
          code: 'custom',
          message: `expected an https URL (got ${url.protocol.replace(':', '')}); the appliance's credentials travel with every request`,
          input: text,
        });
      }
      if (url.username !== '' || url.password !== '') {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a URL without user:password@ (put the credentials in the secret of secretArn)',
          input: text,
        });
      }
    }),
  );

  const detectionsSchema = z
    .strictObject({
      enabled: z._default(z.boolean(), true),
      source: z._default(z.literal('extrahop'), 'extrahop'),
      appliance: z.optional(
        z.strictObject({
          url: applianceUrlSchema,
          auth: z._default(z.enum(['apikey', 'oauth']), 'apikey'),
          secretArn,
        }),
      ),
      poll: z._default(
        z.strictObject({
          enabled: z._default(z.boolean(), true),
          schedule: z._default(scheduleSchema, 'rate(1 minute)'),
          pageSize: z._default(intIn(1, 20000), 1000),
        }),
        { enabled: true, schedule: 'rate(1 minute)', pageSize: 1000 },
      ),
      webhook: z._default(
        z
          .strictObject({
            enabled: z._default(z.boolean(), false),
            secretArn: z.optional(secretArn),
            /**
             * The function's reserved concurrency: a flood of requests to the public URL is answered 429
             * beyond it instead of taking the account's concurrency from the mirroring functions.
             */
            reservedConcurrency: z._default(intIn(1, 10_000_000), DEFAULT_WEBHOOK_RESERVED_CONCURRENCY),
          })
          .check(
            z.refine((w) => !w.enabled || w.secretArn !== undefined, {
              message: 'expected secretArn when the webhook is enabled',
              path: ['secretArn'],
            }),
          ),
        { enabled: false, reservedConcurrency: DEFAULT_WEBHOOK_RESERVED_CONCURRENCY },
      ),
      minRiskScore: z._default(riskScore, 30),
      escalationDelta: z._default(intIn(1, 98), 20),
      notifyOnClose: z._default(z.boolean(), false),
      emails: z._default(z.array(emailRecipientSchema), []),
      slack: z.optional(
        z.strictObject({
          secretArn,
          minRiskScore: z.optional(riskScore),
          format: z._default(z.enum(['block-kit', 'amazon-q']), 'block-kit'),
        }),
      ),
    })
    .check(
      z.superRefine((detections, ctx) => {
        const filterOf = (r: { minRiskScore?: number | undefined }) =>
          `minRiskScore ${r.minRiskScore ?? detections.minRiskScore}`;
        for (const issue of sameMailboxIssues(detections.emails, 'emails', (r) => r.address, filterOf)) {
          ctx.addIssue({
            code: 'custom',
            path: ['emails', issue.path],
            message: issue.message,
            input: detections.emails,
          });
        }
      }),
    );

  /** The account's quotas where they differ from AWS's defaults (src/config/quotas.ts). */
  const quotasSchema = z.strictObject({
    lambdaConcurrentExecutions: z._default(intIn(1, 10_000_000), DEFAULT_LAMBDA_CONCURRENT_EXECUTIONS),
    snsFilterPoliciesPerTopic: z._default(intIn(1, 1_000_000), DEFAULT_SNS_FILTER_POLICIES_PER_TOPIC),
  });

  const observabilitySchema = z.strictObject({
    /**
     * What each state machine logs to its log group (Step Functions' log levels): errors only by
     * default; never the execution data, which may hold a detection or an account's layout.
     */
    stateMachineLogs: z._default(z.enum(['OFF', 'FATAL', 'ERROR', 'ALL']), 'ERROR'),
    /** X-Ray tracing of the state machines and the Lambdas they call. */
    tracing: z._default(z.boolean({ message: 'expected true or false' }), false),
    /** When the alarms call ops (the ops topic). */
    alarms: z._default(
      z.strictObject({
        /** Mirrored share of the in-scope ENIs, as the last reconcile round counted it. */
        coverageBelowPercent: z._default(intIn(1, 100), DEFAULT_ALARMS.coverageBelowPercent),
        /** The 99th percentile of launch (or attach) to mirrored, over 15 minutes. */
        launchToMirroredSeconds: z._default(intIn(1, 3600), DEFAULT_ALARMS.launchToMirroredSeconds),
        /** Now minus the newest detection the poll has seen. */
        pollLagSeconds: z._default(intIn(60, 86_400), DEFAULT_ALARMS.pollLagSeconds),
      }),
      DEFAULT_ALARMS,
    ),
  });

  const accountIdSchema = z
    .string({ message: 'expected an AWS account ID of 12 digits, quoted in YAML' })
    .check(
      z.regex(/^\d{12}$/, { message: 'expected an AWS account ID of 12 digits, like 111122223333 (quoted in YAML)' }),
    );
  // The id patterns of the Organizations API reference (Account, OrganizationalUnit, Root, Organization).
  const unitIdSchema = z.string().check(
    z.regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, {
      message: 'expected an organizational unit id like ou-ab12-cdef3456, or a root id like r-ab12',
    }),
  );
  const regionSchema = z
    .string()
    .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected a Region like us-east-1' }));
  const allowDeny = <T extends z.ZodMiniType>(item: T) =>
    z._default(z.strictObject({ allow: z._default(z.array(item), []), deny: z._default(z.array(item), []) }), {
      allow: [],
      deny: [],
    });

  /** What a member account changes of the mirroring section: its scope, its targets, its filter. */
  const memberOverrideSchema = z.strictObject({
    scope: z.optional(scopeSchema),
    targets: z.optional(
      z.array(configuredTargetSchema).check(z.minLength(1, { message: 'expected at least one target' })),
    ),
    filterId: z.optional(filterIdSchema),
  });

  /**
   * The organization deployment (docs/organization.md): autotap runs in the central account, a
   * member template (StackSets) forwards each member's events and holds the role the workflows
   * assume there. Which accounts are in scope: the allow lists (empty: every account), less the
   * deny lists, which win.
   */
  const organizationSchema = z
    .strictObject({
      id: z
        .string()
        .check(z.regex(/^o-[a-z0-9]{10,32}$/, { message: 'expected an organization id like o-a1b2c3d4e5' })),
      centralAccountId: accountIdSchema,
      /** The role the member template creates in every member, which the central workflows assume. */
      memberRoleName: z._default(
        z.string().check(
          z.regex(/^[\w+=,.@-]{1,64}$/, {
            message: 'expected an IAM role name (letters, digits, +=,.@_-; up to 64)',
          }),
        ),
        'autotap-member',
      ),
      regions: z.array(regionSchema).check(
        z.minLength(1, { message: 'expected at least one Region' }),
        z.refine((regions) => new Set(regions).size === regions.length, { message: 'expected each Region once' }),
      ),
      accounts: allowDeny(accountIdSchema),
      organizationalUnits: allowDeny(unitIdSchema),
      members: z._default(z.record(z.string(), memberOverrideSchema), {}),
    })
    .check(
      z.superRefine((org, ctx) => {
        const denied = new Set(org.accounts.deny);
        for (const [index, id] of org.accounts.allow.entries())
          if (denied.has(id))
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', 'allow', index],
              input: id,
              message: `account ${id} is both allowed and denied: expected it in one list`,
            });
        for (const id of Object.keys(org.members)) {
          if (!/^\d{12}$/.test(id))
            ctx.addIssue({
              code: 'custom',
              path: ['members', id],
              input: id,
              message: 'expected an AWS account ID of 12 digits as the key (quoted in YAML)',
            });
          else if (denied.has(id))
            ctx.addIssue({
              code: 'custom',
              path: ['members', id],
              input: id,
              message: `account ${id} is denied (accounts.deny): an override for it would never apply`,
            });
        }
      }),
    );

  const configSchema = z
    .strictObject({
      mirroring: mirroringSectionSchema,
      observability: z._default(observabilitySchema, {
        stateMachineLogs: 'ERROR',
        tracing: false,
        alarms: DEFAULT_ALARMS,
      }),
      notifications: z._default(
        z.strictObject({
          opsEmails: z._default(
            z.array(z.email({ message: 'expected an email address' })).check(
              z.superRefine((addresses, ctx) => {
                for (const issue of sameMailboxIssues(addresses, 'opsEmails', (a) => a))
                  ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message, input: addresses });
              }),
            ),
            [],
          ),
        }),
        { opsEmails: [] },
      ),
      detections: z.optional(detectionsSchema),
      organization: z.optional(organizationSchema),
      quotas: z._default(quotasSchema, {
        lambdaConcurrentExecutions: DEFAULT_LAMBDA_CONCURRENT_EXECUTIONS,
        snsFilterPoliciesPerTopic: DEFAULT_SNS_FILTER_POLICIES_PER_TOPIC,
      }),
    })
    .check(
      z.superRefine((config, ctx) => {
        const reserved = totalReserved(config);
        const reservable = reservableConcurrency(config.quotas.lambdaConcurrentExecutions);
        const own = reservedConcurrencies(config);
        if (reserved > reservable && own.detectionsWebhook !== undefined) {
          const others = reserved - own.detectionsWebhook;
          ctx.addIssue({
            code: 'custom',
            path: ['detections', 'webhook', 'reservedConcurrency'],
            input: own.detectionsWebhook,
            message:
              `${own.detectionsWebhook}${others ? ` and the Slack notifier's ${others}` : ''} reserve ${reserved} of the account's ` +
              `${config.quotas.lambdaConcurrentExecutions} concurrent executions (quotas.lambdaConcurrentExecutions), and Lambda keeps ` +
              `${LAMBDA_MINIMUM_UNRESERVED} unreserved (${LAMBDA_CONCURRENCY_PAGE}); expected at most ${Math.max(0, reservable - others)}, ` +
              `or set quotas.lambdaConcurrentExecutions to the account's raised quota (autotap doctor reads it)`,
          });
        } else if (reserved > reservable) {
          ctx.addIssue({
            code: 'custom',
            path: ['quotas', 'lambdaConcurrentExecutions'],
            input: config.quotas.lambdaConcurrentExecutions,
            message: `the stage reserves ${reserved} concurrent executions and Lambda keeps ${LAMBDA_MINIMUM_UNRESERVED} unreserved (${LAMBDA_CONCURRENCY_PAGE}); expected at least ${reserved + LAMBDA_MINIMUM_UNRESERVED}`,
          });
        }
        const filterPolicies = config.detections?.enabled ? config.detections.emails.length : 0;
        const perTopic = config.quotas.snsFilterPoliciesPerTopic;
        if (filterPolicies > perTopic) {
          ctx.addIssue({
            code: 'custom',
            path: ['detections', 'emails'],
            input: filterPolicies,
            message:
              `${filterPolicies} recipients are ${filterPolicies} subscriptions with a filter policy on the detections email topic, and SNS allows ` +
              `${perTopic} filter policies per topic (quotas.snsFilterPoliciesPerTopic; ${SNS_FILTER_POLICY_PAGE}); expected at most ${perTopic}: ` +
              `send to a mailing list instead of each person, or raise the quota in Service Quotas and set quotas.snsFilterPoliciesPerTopic`,
          });
        }
      }),
    );

  return {
    mirroringCreateSchema,
    mirroringSectionSchema,
    mirroringSchema,
    detectionsSchema,
    configSchema,
    createdTargetSchema,
    filterExclusionSchema,
    configuredTargetSchema,
  };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
const schemas = (): Schemas => (built ??= buildSchemas());

// What other modules validate with: each builds every schema at its first parse (zod's lazy). Pure:
// a bundle whose code validates no configuration (a deployed mirroring function) leaves them out.
export const configSchema = /* @__PURE__ */ z.lazy(() => schemas().configSchema);
export const mirroringSectionSchema = /* @__PURE__ */ z.lazy(() => schemas().mirroringSectionSchema);
export const detectionsSchema = /* @__PURE__ */ z.lazy(() => schemas().detectionsSchema);

export type Config = z.infer<Schemas['configSchema']>;
export type MirroringConfig = z.infer<Schemas['mirroringSchema']>;
export type MirroringSection = z.infer<Schemas['mirroringSectionSchema']>;
export type MirroringCreate = z.infer<Schemas['mirroringCreateSchema']>;
export type CreatedTarget = z.infer<Schemas['createdTargetSchema']>;
export type FilterExclusion = z.infer<Schemas['filterExclusionSchema']>;
export type DetectionsConfig = z.infer<Schemas['detectionsSchema']>;
export type ObservabilityConfig = Config['observability'];
export type OrganizationConfig = NonNullable<Config['organization']>;
export type MemberOverride = OrganizationConfig['members'][string];
export type ConfiguredTarget = z.infer<Schemas['configuredTargetSchema']>;
