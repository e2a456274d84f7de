import * as z from 'zod/mini';
import { envelopePlace, fail as invalid, INSTANCE_ARN, instanceIdSchema, placeSchemaOf } from './input.ts';
import type { WorkSlice } from './reconcile-work.ts';
import { isTamperEvent, parseTamperCall, TAMPER_CALLS, type Tamper } from './tamper.ts';

const VPC_ID = /^vpc-[0-9a-f]{1,17}$/;

export interface ReconcileRequest {
  dryRun: boolean;
  vpcIds: string[];
  /** Only these instances (their tags changed, or asked by hand), none when empty; absent: the whole account. */
  instanceIds?: string[];
  /** Set when someone else deleted or modified a session: what they did, and which session it was. */
  tamper?: Tamper;
  /**
   * The one account and Region to reconcile, in an organization: the event's, or typed by hand.
   * Absent: every place in scope (a stack without an organization has one).
   */
  place?: Place;
}

export interface Place {
  accountId: string;
  region: string;
}

/** Instances one reconcile may be asked about by hand; a tag change names what its call tagged. */
export const MAX_RECONCILE_INSTANCE_IDS = 1000;

/** The schemas of the reconcile and cleanup inputs, built at the first input read (src/mirroring/input.ts says why). */
function buildSchemas() {
  const instanceId = instanceIdSchema();
  const vpcId = z
    .string()
    .check(z.refine((v) => VPC_ID.test(v), { error: (i) => `${JSON.stringify(i.input)} is not a VPC id (vpc-...)` }));

  // Carried from round to round once the event is parsed (and the session looked up).
  const tamper = z.looseObject({
    eventName: z.enum(TAMPER_CALLS),
    trafficMirrorSessionId: z.string(),
    by: z.string(),
    identityType: z.string(),
    at: z.string(),
    changes: z.record(z.string(), z.string()),
    resolved: z.boolean(),
  });

  const manualReconcile = z.strictObject({
    dryRun: z.optional(z.boolean({ message: 'expected true or false' })),
    vpcIds: z.optional(z.array(vpcId)),
    instanceIds: z.optional(z.array(instanceId).check(z.maxLength(MAX_RECONCILE_INSTANCE_IDS))),
    tamper: z.optional(tamper),
    place: z.optional(placeSchemaOf()),
  });

  // Tags' own event for an instance (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-tag.html):
  // `resources` holds the instance's ARN, `detail.tags` its tags after the change.
  const tagChange = z.object({
    source: z.literal('aws.tag'),
    'detail-type': z.literal('Tag Change on Resource'),
    resources: z.array(z.string({ message: 'expected a resource ARN' })).check(z.minLength(1)),
    detail: z.object({
      service: z.literal('ec2', { message: 'expected "ec2"' }),
      'resource-type': z.literal('instance', { message: 'expected "instance"' }),
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
    place: z.optional(placeSchemaOf()),
  });

  return { manualReconcile, tagChange, stateChange, detachCall, manualCleanup };
}

let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (built ??= buildSchemas());

/**
 * `reconcile` starts from its schedule; from the tag-changes queue with `{"instanceIds": [...]}`
 * (src/mirroring/tag-changes.ts); a Tags `Tag Change on Resource` event is still read, for that
 * instance, so that an execution its rule started before the queue can be re-run; or by hand with `{"dryRun": true}`, `{"vpcIds": [...]}` and/or
 * `{"instanceIds": [...]}`. A normalized request is accepted again as it is (rounds after the first).
 */
export function normalizeReconcileInput(input: unknown): ReconcileRequest {
  const record = (input ?? {}) as Record<string, unknown>;
  const request = reconcileRequestOf(input, record);
  // An event acts where it happened (a member's reach the central bus with their account and Region);
  // the schedule's is the central account's own, and covers every place.
  const scheduled = record['detail-type'] === 'Scheduled Event';
  const place = 'detail-type' in record && !scheduled ? envelopePlace(record) : request.place;
  return place ? { ...request, place } : request;
}

function reconcileRequestOf(input: unknown, record: Record<string, unknown>): ReconcileRequest {
  if (record['detail-type'] === 'Scheduled Event' && record.source === 'aws.events')
    return { dryRun: false, vpcIds: [] };
  // Looked up in the first round (functions/reconcile-round.ts): until then it concerns no instance.
  if (isTamperEvent(input))
    return { dryRun: false, vpcIds: [], instanceIds: [], tamper: { ...parseTamperCall(input), resolved: false } };
  if (record.source === 'aws.tag') {
    const parsed = schemas().tagChange.safeParse(input);
    if (!parsed.success) invalid(parsed.error);
    const instanceIds = [...new Set(parsed.data.resources.map((arn) => INSTANCE_ARN.exec(arn)?.[1]))].filter(
      (id): id is string => id !== undefined,
    );
    if (instanceIds.length === 0)
      invalid({
        issues: [{ path: ['resources'], message: 'expected an EC2 instance ARN (arn:aws:ec2:...:instance/i-...)' }],
      });
    return { dryRun: false, vpcIds: [], instanceIds };
  }
  const parsed = schemas().manualReconcile.safeParse(input ?? {});
  if (!parsed.success) invalid(parsed.error);
  return {
    dryRun: parsed.data.dryRun ?? false,
    vpcIds: parsed.data.vpcIds ?? [],
    ...(parsed.data.instanceIds ? { instanceIds: [...new Set(parsed.data.instanceIds)] } : {}),
    ...(parsed.data.tamper ? { tamper: parsed.data.tamper } : {}),
    ...(parsed.data.place ? { place: parsed.data.place } : {}),
  };
}

const CLEANUP = { mode: 'cleanup' as const, orphanNetworkInterfaceIds: [], vpcIds: [] };

/** `cleanup-sessions` starts on stop, terminate and detach, or by hand with `{"instanceIds": [...]}`. */
export function normalizeCleanupInput(input: unknown): WorkSlice {
  const record = (input ?? {}) as Record<string, unknown>;
  const work = cleanupWorkOf(input, record);
  const place = 'detail-type' in record ? envelopePlace(record) : work.place;
  return place ? { ...work, place } : work;
}

function cleanupWorkOf(input: unknown, record: Record<string, unknown>): WorkSlice {
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
    ...(parsed.data.place ? { place: parsed.data.place } : {}),
  };
}
