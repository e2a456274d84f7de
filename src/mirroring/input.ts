import * as z from 'zod/mini';
import { describeIssues } from '../validation.ts';

/**
 * What a `mirror-instances` execution works on, whatever started it: an EC2 state-change event, a
 * CloudTrail `AttachNetworkInterface` event, a load balancer's CloudTrail `CreateNetworkInterface`, an
 * ECS task state change, or input typed in the Step Functions console (which
 * pre-fills an old execution's input on re-run, so every form must be accepted again as is).
 */
export interface MirrorRequest {
  instanceIds: string[];
  networkInterfaceIds: string[];
  dryRun: boolean;
  trigger: MirrorTrigger;
  /**
   * When the event that started the execution happened (its EventBridge `time`), null for input
   * typed by hand: what the launch-to-mirrored latency is measured from.
   */
  eventTime?: string | null;
  /**
   * The account and Region the instances are in: an event's `account` and `region` (a member's
   * events reach the central bus with them), or `place` typed by hand. Absent: the function's own.
   */
  place?: { accountId: string; region: string };
}

export const MIRROR_TRIGGERS = [
  'instance-running',
  'interface-attached',
  'task-running',
  'interface-created',
  'manual',
] as const;
export type MirrorTrigger = (typeof MIRROR_TRIGGERS)[number];

/**
 * How an ECS task names its ENI: an attachment of type `eni` (as the task state change events show it,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html) or
 * `ElasticNetworkInterface` (as DescribeTasks shows it), with a `networkInterfaceId` detail.
 */
const TASK_ENI_ATTACHMENT_TYPES = new Set(['eni', 'ElasticNetworkInterface']);

export class InvalidInput extends Error {
  override name = 'InvalidInput';
}

/**
 * What one execution may be asked for, so that its state stays within Step Functions' 256 KiB
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Every ENI of the
 * request is one planned attachment (or one result) in the state: with AWS-length ids, three
 * alternative targets, two session numbers already used and a launch time, about 390 bytes, taken as
 * 400 (tests/workflow/mirror-scale.slow.test.ts runs the largest request and measures it). 16 KiB are kept
 * for the rest of the state (missing targets, the execution's ARN, the request's own shape).
 */
export const STATE_BYTES_PER_INTERFACE = 400;
export const STATE_BYTES_RESERVED = 16 * 1024;
export const MAX_INTERFACES_PER_EXECUTION = Math.floor((256 * 1024 - STATE_BYTES_RESERVED) / STATE_BYTES_PER_INTERFACE);
/**
 * An instance id may bring as many ENIs as its instance type allows: at most 64 for the largest
 * multi-card types in AWS's table "Maximum IP addresses per network interface"
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AvailableIpPerENI.html; e.g. p4d.24xlarge has
 * 4 network cards of 15, p5.48xlarge 64), so each counts for 64.
 */
export const MAX_INTERFACES_PER_INSTANCE = 64;
export const MAX_INSTANCE_IDS_PER_EXECUTION = Math.floor(MAX_INTERFACES_PER_EXECUTION / MAX_INTERFACES_PER_INSTANCE);
/** Why a request of so many ids does not fit one execution, or undefined when it does. */
export function tooManyIds(instanceIds: number, networkInterfaceIds: number): string | undefined {
  const weight = instanceIds * MAX_INTERFACES_PER_INSTANCE + networkInterfaceIds;
  if (weight <= MAX_INTERFACES_PER_EXECUTION) return undefined;
  return (
    `at most ${MAX_INTERFACES_PER_EXECUTION} network interfaces per execution, each instance id counting for ` +
    `${MAX_INTERFACES_PER_INSTANCE} (the most an instance type has), so that the state stays within Step Functions' 256 KiB: ` +
    `at most ${MAX_INSTANCE_IDS_PER_EXECUTION} instance ids or ${MAX_INTERFACES_PER_EXECUTION} network interface ids ` +
    `(got ${instanceIds} instance ids and ${networkInterfaceIds} network interface ids, counting ${weight}; split the list)`
  );
}

/** Alternative targets an attachment carries for when its target fills up meanwhile. */
export const ALTERNATIVE_TARGETS_PER_ATTACHMENT = 3;

export const INSTANCE_ID = /^i-[0-9a-f]{1,17}$/;
export const ENI_ID = /^eni-[0-9a-f]{1,17}$/;
/** An instance's ARN, as Tags' events name it; group 1 is its id. */
export const INSTANCE_ARN = /^arn:aws[a-z-]*:ec2:[a-z0-9-]+:\d{12}:instance\/(i-[0-9a-f]{1,17})$/;

const MANUAL_SHAPE =
  'expected {"instanceIds": ["i-..."]}, {"instanceId": "i-..."} or {"networkInterfaceIds": ["eni-..."]}, with optional "dryRun": true';

/**
 * The schemas of mirror-instances' input, built at the first input read rather than at import: most
 * Lambdas import this module only for InvalidInput and its limits and never read such input, and
 * building schemas they never use would only lengthen their cold start.
 */
function buildInputSchemas() {
  const instanceId = z.string({ message: 'expected an instance id (i-...)' }).check(
    z.refine((v) => INSTANCE_ID.test(v), {
      error: (issue) => `${JSON.stringify(issue.input)} is not an instance id (i-...)`,
    }),
  );
  const eniId = z.string({ message: 'expected a network interface id (eni-...)' }).check(
    z.refine((v) => ENI_ID.test(v), {
      error: (issue) => `${JSON.stringify(issue.input)} is not a network interface id (eni-...)`,
    }),
  );

  const placeSchema = placeSchemaOf();

  const manualSchema = z
    .strictObject({
      instanceIds: z.optional(z.array(instanceId)),
      instanceId: z.optional(instanceId),
      networkInterfaceIds: z.optional(z.array(eniId)),
      dryRun: z.optional(z.boolean({ message: 'expected true or false' })),
      place: z.optional(placeSchema),
    })
    .check(
      z.refine(
        (m) => (m.instanceIds?.length ?? 0) + (m.instanceId ? 1 : 0) + (m.networkInterfaceIds?.length ?? 0) > 0,
        {
          message: MANUAL_SHAPE,
        },
      ),
    );

  const stateChangeSchema = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Instance State-change Notification'),
    detail: z.object({
      'instance-id': instanceId,
      state: z.literal('running', { message: 'expected "running": mirror-instances only mirrors running instances' }),
    }),
  });

  const attachCallSchema = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({
      eventName: z.literal('AttachNetworkInterface', { message: 'expected "AttachNetworkInterface"' }),
      errorCode: z.optional(z.undefined({ message: 'expected a successful call (no errorCode)' })),
      requestParameters: z.object({ networkInterfaceId: eniId, instanceId: instanceId }),
    }),
  });

  const taskDetail = z.object({ name: z.string(), value: z.string() });
  const taskStateSchema = z.object({
    source: z.literal('aws.ecs'),
    'detail-type': z.literal('ECS Task State Change'),
    detail: z.object({
      launchType: z.literal('EC2', {
        message:
          'expected "EC2": only a task on an EC2 host has its ENI on an instance, which AWS documents as a mirror source',
      }),
      lastStatus: z.literal('RUNNING', { message: 'expected "RUNNING": mirror-instances only mirrors running tasks' }),
      attachments: z._default(
        z.array(
          z.object({
            type: z.string({ message: 'expected the attachment type' }),
            // A list in ECS's pages, one object in the EventBridge schema registry's: both are read.
            details: z._default(z.union([z.array(taskDetail), taskDetail]), []),
          }),
        ),
        [],
      ),
    }),
  });

  // The ENI a load balancer created, as CloudTrail records CreateNetworkInterface's response.
  const createCallSchema = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({
      eventName: z.literal('CreateNetworkInterface'),
      errorCode: z.optional(z.undefined({ message: 'expected a successful call (no errorCode)' })),
      responseElements: z.object({ networkInterface: z.object({ networkInterfaceId: eniId }) }),
    }),
  });

  return { instanceId, eniId, manualSchema, stateChangeSchema, attachCallSchema, taskStateSchema, createCallSchema };
}

let built: ReturnType<typeof buildInputSchemas> | undefined;
const inputSchemas = () => (built ??= buildInputSchemas());

/** An EC2 instance id (i-...), as every input naming instances checks it. */
export const instanceIdSchema = () => inputSchemas().instanceId;

/** Fails with InvalidInput naming every field that is wrong. */
export function fail(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): never {
  throw new InvalidInput(describeIssues(error));
}

/**
 * A running task's ENIs, from its ENI attachments. A task in bridge or host mode has none (its traffic
 * is its host's, on the host's own ENIs): the request is then empty and the execution does nothing.
 */
function taskRequest(input: unknown): MirrorRequest {
  const { taskStateSchema, eniId } = inputSchemas();
  const parsed = taskStateSchema.safeParse(input);
  if (!parsed.success) fail(parsed.error);
  const ids: string[] = [];
  parsed.data.detail.attachments.forEach((attachment, index) => {
    if (!TASK_ENI_ATTACHMENT_TYPES.has(attachment.type)) return;
    const details = Array.isArray(attachment.details) ? attachment.details : [attachment.details];
    const detail = details.find((d) => d.name === 'networkInterfaceId');
    const path = ['detail', 'attachments', index, 'details'];
    if (!detail)
      fail({ issues: [{ path, message: 'expected a networkInterfaceId detail: a running task names its ENI' }] });
    const id = eniId.safeParse(detail.value);
    if (!id.success) fail({ issues: id.error.issues.map((issue) => ({ ...issue, path })) });
    ids.push(id.data);
  });
  return { instanceIds: [], networkInterfaceIds: [...new Set(ids)], dryRun: false, trigger: 'task-running' };
}

/** The EventBridge envelope's `time` of an event, or null (a request by hand has none). */
export function eventTimeOf(input: unknown): string | null {
  const time = (input as { time?: unknown } | null)?.time;
  return typeof time === 'string' && Number.isFinite(Date.parse(time)) ? time : null;
}

/** A place typed by hand: `{"accountId": "...", "region": "..."}`. */
export function placeSchemaOf() {
  return z.strictObject({
    accountId: z.string().check(z.regex(/^\d{12}$/, { message: 'expected an AWS account ID of 12 digits' })),
    region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected a Region like us-east-1' })),
  });
}

/** The account and Region of an EventBridge envelope, when it names both. */
export function envelopePlace(record: Record<string, unknown>): MirrorRequest['place'] {
  const { account, region } = record;
  return typeof account === 'string' && /^\d{12}$/.test(account) && typeof region === 'string' && region !== ''
    ? { accountId: account, region }
    : undefined;
}

export function normalizeInput(input: unknown): MirrorRequest {
  const request = requestOf(input);
  const record = input as Record<string, unknown>;
  const place = 'detail-type' in record || 'source' in record ? envelopePlace(record) : request.place;
  return place ? { ...request, place } : request;
}

function requestOf(input: unknown): MirrorRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInput(`(root): ${MANUAL_SHAPE}`);
  }
  const record = input as Record<string, unknown>;

  if ('detail-type' in record || 'source' in record) {
    if (record['detail-type'] === 'ECS Task State Change') return taskRequest(input);
    const call = record.detail as { eventName?: unknown } | undefined;
    if (record['detail-type'] === 'AWS API Call via CloudTrail' && call?.eventName === 'CreateNetworkInterface') {
      const parsed = inputSchemas().createCallSchema.safeParse(input);
      if (!parsed.success) fail(parsed.error);
      return {
        instanceIds: [],
        networkInterfaceIds: [parsed.data.detail.responseElements.networkInterface.networkInterfaceId],
        dryRun: false,
        trigger: 'interface-created',
      };
    }
    if (record['detail-type'] === 'AWS API Call via CloudTrail') {
      const parsed = inputSchemas().attachCallSchema.safeParse(input);
      if (!parsed.success) fail(parsed.error);
      return {
        instanceIds: [],
        networkInterfaceIds: [parsed.data.detail.requestParameters.networkInterfaceId],
        dryRun: false,
        trigger: 'interface-attached',
      };
    }
    const parsed = inputSchemas().stateChangeSchema.safeParse(input);
    if (!parsed.success) fail(parsed.error);
    return {
      instanceIds: [parsed.data.detail['instance-id']],
      networkInterfaceIds: [],
      dryRun: false,
      trigger: 'instance-running',
    };
  }

  const parsed = inputSchemas().manualSchema.safeParse(input);
  if (!parsed.success) fail(parsed.error);
  const { instanceIds = [], instanceId: single, networkInterfaceIds = [], dryRun = false, place } = parsed.data;
  const allInstances = [...new Set([...instanceIds, ...(single ? [single] : [])])];
  const enis = [...new Set(networkInterfaceIds)];
  const tooMany = tooManyIds(allInstances.length, enis.length);
  if (tooMany) throw new InvalidInput(`instanceIds, networkInterfaceIds: ${tooMany}`);
  return {
    instanceIds: allInstances,
    networkInterfaceIds: enis,
    dryRun,
    trigger: 'manual',
    ...(place ? { place } : {}),
  };
}
