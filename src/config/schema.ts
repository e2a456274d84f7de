import { z } from 'zod';

/**
 * The one configuration schema. `config/<stage>.yml` is validated against it by the deployed
 * stack (at package time and in every Lambda), by `autotap` and by the tests.
 */

const resourceId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{1,17}$`), { message: `expected an id like ${prefix}-0123456789abcdef0` });

export const filterIdSchema = resourceId('tmf');
export const targetIdSchema = resourceId('tmt');
export const vpcIdSchema = resourceId('vpc');
export const subnetIdSchema = resourceId('subnet');

const availabilityZone = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'expected an availability zone like us-east-1a' });

const tagSchema = z.object({ key: z.string().min(1).max(128), value: z.string().max(256) }).strict();

const configuredTargetSchema = z
  .object({
    id: targetIdSchema,
    availabilityZone: availabilityZone.optional(),
    maxSources: z.union([z.literal(10), z.literal(100)]).optional(),
  })
  .strict();

const sessionNumberSchema = z
  .object({
    preferred: z.number().int().min(1).max(32766).default(1),
    min: z.number().int().min(1).max(32766).default(1),
    max: z.number().int().min(1).max(32766).default(32766),
  })
  .strict()
  .refine((s) => s.min <= s.preferred && s.preferred <= s.max, {
    message: 'expected min <= preferred <= max',
  });

const tagMatchSchema = z.record(z.string().min(1), z.string());

const scopeSchema = z
  .object({
    vpcIds: z.array(vpcIdSchema).default([]),
    subnetIds: z.array(subnetIdSchema).default([]),
    includeTags: tagMatchSchema.default({}),
    excludeTags: tagMatchSchema.default({ 'autotap:mirror': 'false' }),
  })
  .strict();

export const mirroringSchema = z
  .object({
    filterId: filterIdSchema,
    targets: z.array(configuredTargetSchema).default([]),
    targetTag: tagSchema.optional(),
    crossAz: z.enum(['prefer-same', 'same-only']).default('prefer-same'),
    sessionNumber: sessionNumberSchema.default({ preferred: 1, min: 1, max: 32766 }),
    packetLength: z.number().int().min(1).max(8500).nullable().default(null),
    virtualNetworkId: z.number().int().min(0).max(16777215).nullable().default(null),
    scope: scopeSchema.default({ vpcIds: [], subnetIds: [], includeTags: {}, excludeTags: { 'autotap:mirror': 'false' } }),
    onStop: z.enum(['keep', 'delete']).default('keep'),
    reconcileSchedule: z
      .string()
      .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, { message: 'expected an EventBridge schedule like rate(6 hours) or cron(0 */6 * * ? *)' })
      .default('rate(6 hours)'),
    /** Publish autotap's own events (source `autotap`) on the bus EVENT_BUS_NAME. */
    publishEvents: z.boolean().default(true),
  })
  .strict()
  .refine((m) => m.targets.length > 0 || m.targetTag !== undefined, {
    message: 'expected at least one entry in targets, or a targetTag to discover targets by',
    path: ['targets'],
  });

const emailRecipientSchema = z
  .object({ address: z.email({ message: 'expected an email address' }), minRiskScore: z.number().int().min(1).max(99).optional() })
  .strict();

const secretArn = z.string().regex(/^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:.+$/, {
  message: 'expected a Secrets Manager secret ARN or an SSM parameter ARN',
});

export const detectionsSchema = z
  .object({
    enabled: z.boolean().default(true),
    source: z.literal('extrahop').default('extrahop'),
    appliance: z
      .object({
        url: z.url({ message: 'expected the appliance URL, e.g. https://extrahop.example.com' }),
        auth: z.enum(['apikey', 'oauth']).default('apikey'),
        secretArn,
      })
      .strict()
      .optional(),
    poll: z
      .object({
        enabled: z.boolean().default(true),
        schedule: z.string().default('rate(1 minute)'),
        pageSize: z.number().int().min(1).max(20000).default(1000),
      })
      .strict()
      .default({ enabled: true, schedule: 'rate(1 minute)', pageSize: 1000 }),
    webhook: z
      .object({ enabled: z.boolean().default(false), secretArn: secretArn.optional() })
      .strict()
      .refine((w) => !w.enabled || w.secretArn !== undefined, { message: 'expected secretArn when the webhook is enabled', path: ['secretArn'] })
      .default({ enabled: false }),
    minRiskScore: z.number().int().min(1).max(99).default(30),
    escalationDelta: z.number().int().min(1).max(98).default(20),
    notifyOnClose: z.boolean().default(false),
    emails: z.array(emailRecipientSchema).default([]),
    slack: z
      .object({
        secretArn,
        minRiskScore: z.number().int().min(1).max(99).optional(),
        format: z.enum(['block-kit', 'amazon-q']).default('block-kit'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    mirroring: mirroringSchema,
    notifications: z
      .object({ opsEmails: z.array(z.email({ message: 'expected an email address' })).default([]) })
      .strict()
      .default({ opsEmails: [] }),
    detections: detectionsSchema.optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type MirroringConfig = z.infer<typeof mirroringSchema>;
export type DetectionsConfig = z.infer<typeof detectionsSchema>;
export type ConfiguredTarget = z.infer<typeof configuredTargetSchema>;
