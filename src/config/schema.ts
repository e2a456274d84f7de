import * as z from 'zod/mini';
import { scheduleExpressionProblem } from './schedule.ts';

/**
 * The one configuration schema. `config/<stage>.yml` is validated against it by the deployed
 * stack (at package time and in every Lambda), by `autotap` and by the tests. Written with
 * zod's tree-shakable "mini" API: every Lambda bundles it.
 */

const resourceId = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}-[0-9a-f]{1,17}$`), { message: `expected an id like ${prefix}-0123456789abcdef0` }));

export const filterIdSchema = resourceId('tmf');
export const targetIdSchema = resourceId('tmt');
export const vpcIdSchema = resourceId('vpc');
export const subnetIdSchema = resourceId('subnet');

const availabilityZone = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'expected an availability zone like us-east-1a' }));

const intIn = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const riskScore = intIn(1, 99);

const tagSchema = z.strictObject({ key: z.string().check(z.minLength(1), z.maxLength(128)), value: z.string().check(z.maxLength(256)) });

const configuredTargetSchema = z.strictObject({
  id: targetIdSchema,
  availabilityZone: z.optional(availabilityZone),
  // An ENI target takes 10 sources, 100 on the largest instance sizes; nothing in between.
  maxSources: z.optional(z.union([z.literal(10), z.literal(100)], { message: 'expected 10 or 100 (the sources an ENI target takes)' })),
});

const sessionNumberSchema = z
  .strictObject({
    preferred: z._default(intIn(1, 32766), 1),
    min: z._default(intIn(1, 32766), 1),
    max: z._default(intIn(1, 32766), 32766),
  })
  .check(z.refine((s) => s.min <= s.preferred && s.preferred <= s.max, { message: 'expected min <= preferred <= max' }));

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

export const mirroringSchema = z
  .strictObject({
    filterId: filterIdSchema,
    targets: z._default(z.array(configuredTargetSchema), []),
    targetTag: z.optional(tagSchema),
    crossAz: z._default(z.enum(['prefer-same', 'same-only']), 'prefer-same'),
    sessionNumber: z._default(sessionNumberSchema, { preferred: 1, min: 1, max: 32766 }),
    packetLength: z._default(z.nullable(intIn(1, 8500)), null),
    virtualNetworkId: z._default(z.nullable(intIn(0, 16777215)), null),
    scope: z._default(scopeSchema, { vpcIds: [], subnetIds: [], includeTags: {}, excludeTags: { 'autotap:mirror': 'false' } }),
    onStop: z._default(z.enum(['keep', 'delete']), 'keep'),
    reconcileSchedule: z._default(scheduleSchema, 'rate(6 hours)'),
    /** Publish autotap's own events (source `autotap`) on the bus EVENT_BUS_NAME. */
    publishEvents: z._default(z.boolean(), true),
  })
  .check(
    z.refine((m) => m.targets.length > 0 || m.targetTag !== undefined, {
      message: 'expected at least one entry in targets, or a targetTag to discover targets by',
      path: ['targets'],
    }),
  );

/**
 * A mailbox is one address whatever its case: SNS would send twice, and the stack names each
 * subscription by the lowercased address, so two spellings would become one subscription.
 * `filterOf` tells entries whose filters differ apart, so the message can say which one would be lost.
 */
function sameMailboxIssues<T>(entries: readonly T[], list: string, addressOf: (entry: T) => string, filterOf?: (entry: T) => string) {
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
    const conflict = filterOf && filterOf(other) !== filterOf(entry) ? ` with a different filter (${filterOf(entry)} here, ${filterOf(other)} there)` : '';
    issues.push({
      path: index,
      message: `"${addressOf(entry)}" is the same address as ${list}[${earlier}] ("${addressOf(other)}")${conflict}; addresses are compared without case, list each once`,
    });
  });
  return issues;
}

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

/** Where local runs put their stand-ins: plain http is allowed there and nowhere else. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The appliance URL carries the API key or OAuth token on every request: https only (loopback aside),
 * and no user:password@ (credentials live in Secrets Manager, never in the configuration).
 */
const applianceUrlSchema = z.url({ message: 'expected the appliance URL, e.g. https://extrahop.example.com' }).check(
  z.superRefine((text, ctx) => {
    if (!URL.canParse(text)) return;
    const url = new URL(text);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
      ctx.addIssue({ code: 'custom', message: `expected an https URL (got ${url.protocol.replace(':', '')}); the appliance's credentials travel with every request`, input: text });
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'expected a URL without user:password@ (put the credentials in the secret of secretArn)', input: text });
    }
  }),
);

/** The webhook's reserved concurrency when none is configured: ample for an appliance, small beside the account's 1,000. */
export const DEFAULT_WEBHOOK_RESERVED_CONCURRENCY = 10;

export const detectionsSchema = z.strictObject({
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
        reservedConcurrency: z._default(intIn(1, 1000), DEFAULT_WEBHOOK_RESERVED_CONCURRENCY),
      })
      .check(z.refine((w) => !w.enabled || w.secretArn !== undefined, { message: 'expected secretArn when the webhook is enabled', path: ['secretArn'] })),
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
}).check(
  z.superRefine((detections, ctx) => {
    const filterOf = (r: { minRiskScore?: number | undefined }) => `minRiskScore ${r.minRiskScore ?? detections.minRiskScore}`;
    for (const issue of sameMailboxIssues(detections.emails, 'emails', (r) => r.address, filterOf)) {
      ctx.addIssue({ code: 'custom', path: ['emails', issue.path], message: issue.message, input: detections.emails });
    }
  }),
);

export const configSchema = z.strictObject({
  mirroring: mirroringSchema,
  notifications: z._default(
    z.strictObject({
      opsEmails: z._default(
        z.array(z.email({ message: 'expected an email address' })).check(
          z.superRefine((addresses, ctx) => {
            for (const issue of sameMailboxIssues(addresses, 'opsEmails', (a) => a)) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message, input: addresses });
          }),
        ),
        [],
      ),
    }),
    { opsEmails: [] },
  ),
  detections: z.optional(detectionsSchema),
});

export type Config = z.infer<typeof configSchema>;
export type MirroringConfig = z.infer<typeof mirroringSchema>;
export type DetectionsConfig = z.infer<typeof detectionsSchema>;
export type ConfiguredTarget = z.infer<typeof configuredTargetSchema>;
