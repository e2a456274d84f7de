import * as z from 'zod/mini';
import { fail as invalid, INSTANCE_ID, instanceIdSchema } from './input.ts';
import type { WorkSlice } from './reconcile-work.ts';

const VPC_ID = /^vpc-[0-9a-f]{1,17}$/;

export interface ReconcileRequest {
  dryRun: boolean;
  vpcIds: string[];
  /** Only these instances (their tags changed, or asked by hand), none when empty; absent: the whole account. */
  instanceIds?: string[];
}

/** Instances one reconcile may be asked about by hand; a tag change names what its call tagged. */
export const MAX_RECONCILE_INSTANCE_IDS = 1000;

/** The schemas of the reconcile and cleanup inputs, built at the first input read (src/mirroring/input.ts says why). */
function buildSchemas() {
  const instanceId = instanceIdSchema();
  const vpcId = z
    .string()
    .check(z.refine((v) => VPC_ID.test(v), { error: (i) => `${JSON.stringify(i.input)} is not a VPC id (vpc-...)` }));

  const manualReconcile = z.strictObject({
    dryRun: z.optional(z.boolean({ message: 'expected true or false' })),
    vpcIds: z.optional(z.array(vpcId)),
    instanceIds: z.optional(z.array(instanceId).check(z.maxLength(MAX_RECONCILE_INSTANCE_IDS))),
  });

  // CloudTrail's record of CreateTags / DeleteTags: the tagged resources are requestParameters.resourcesSet.items.
  const tagsChanged = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({
      eventName: z.enum(['CreateTags', 'DeleteTags'], { message: 'expected "CreateTags" or "DeleteTags"' }),
      errorCode: z.optional(z.undefined({ message: 'expected a successful call (no errorCode)' })),
      requestParameters: z.object({
        resourcesSet: z.object({
          items: z
            .array(z.object({ resourceId: z.string({ message: 'expected a resource id' }) }))
            .check(z.minLength(1)),
        }),
      }),
    }),
  });

  const stateChange = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Instance State-change Notification'),
    detail: z.object({
      'instance-id': instanceId,
      state: z.enum(['stopped', 'terminated'], { message: 'expected "stopped" or "terminated"' }),
    }),
  });

  const detachCall = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({
      eventName: z.literal('DetachNetworkInterface', { message: 'expected "DetachNetworkInterface"' }),
      errorCode: z.optional(z.undefined({ message: 'expected a successful call (no errorCode)' })),
    }),
  });

  const manualCleanup = z.strictObject({
    instanceIds: z.array(instanceId).check(z.minLength(1), z.maxLength(100)),
    dryRun: z.optional(z.boolean({ message: 'expected true or false' })),
  });

  return { manualReconcile, tagsChanged, stateChange, detachCall, manualCleanup };
}

let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (built ??= buildSchemas());

/**
 * `reconcile` starts from its schedule; from a tag change (CloudTrail CreateTags or DeleteTags), for
 * the instances it tagged; or by hand with `{"dryRun": true}`, `{"vpcIds": [...]}` and/or
 * `{"instanceIds": [...]}`. A normalized request is accepted again as it is (rounds after the first).
 */
export function normalizeReconcileInput(input: unknown): ReconcileRequest {
  const record = (input ?? {}) as Record<string, unknown>;
  if (record['detail-type'] === 'Scheduled Event' && record.source === 'aws.events')
    return { dryRun: false, vpcIds: [] };
  if (record['detail-type'] === 'AWS API Call via CloudTrail') {
    const parsed = schemas().tagsChanged.safeParse(input);
    if (!parsed.success) invalid(parsed.error);
    // Tags of volumes, ENIs or images name no instance: the round then looks at none (not at the account).
    const instanceIds = [
      ...new Set(parsed.data.detail.requestParameters.resourcesSet.items.map((i) => i.resourceId.trim())),
    ].filter((id) => INSTANCE_ID.test(id));
    return { dryRun: false, vpcIds: [], instanceIds };
  }
  const parsed = schemas().manualReconcile.safeParse(input ?? {});
  if (!parsed.success) invalid(parsed.error);
  return {
    dryRun: parsed.data.dryRun ?? false,
    vpcIds: parsed.data.vpcIds ?? [],
    ...(parsed.data.instanceIds ? { instanceIds: [...new Set(parsed.data.instanceIds)] } : {}),
  };
}

const CLEANUP = { mode: 'cleanup' as const, orphanNetworkInterfaceIds: [], vpcIds: [] };

/** `cleanup-sessions` starts on stop, terminate and detach, or by hand with `{"instanceIds": [...]}`. */
export function normalizeCleanupInput(input: unknown): WorkSlice {
  const record = (input ?? {}) as Record<string, unknown>;
  if (record['detail-type'] === 'AWS API Call via CloudTrail') {
    const parsed = schemas().detachCall.safeParse(input);
    if (!parsed.success) invalid(parsed.error);
    return { ...CLEANUP, instanceIds: [], sessionsOfInstanceIds: [], allManagedSessions: true, dryRun: false };
  }
  if ('detail-type' in record || 'source' in record) {
    const parsed = schemas().stateChange.safeParse(input);
    if (!parsed.success) invalid(parsed.error);
    const id = parsed.data.detail['instance-id'];
    return { ...CLEANUP, instanceIds: [id], sessionsOfInstanceIds: [id], allManagedSessions: false, dryRun: false };
  }
  const parsed = schemas().manualCleanup.safeParse(input);
  if (!parsed.success) invalid(parsed.error);
  const ids = [...new Set(parsed.data.instanceIds)];
  return {
    ...CLEANUP,
    instanceIds: ids,
    sessionsOfInstanceIds: ids,
    allManagedSessions: false,
    dryRun: parsed.data.dryRun ?? false,
  };
}
