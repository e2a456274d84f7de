import * as z from 'zod/mini';
import { describeIssues } from '../validation.ts';

/**
 * What a `mirror-instances` execution works on, whatever started it: an EC2 state-change event, a
 * CloudTrail `AttachNetworkInterface` event, or input typed in the Step Functions console (which
 * pre-fills an old execution's input on re-run, so every form must be accepted again as is).
 */
export interface MirrorRequest {
  instanceIds: string[];
  networkInterfaceIds: string[];
  dryRun: boolean;
  trigger: 'instance-running' | 'interface-attached' | 'manual';
}

export class InvalidInput extends Error {
  override name = 'InvalidInput';
}

/** Bounded so the state payload stays far below Step Functions' 256 KiB. */
export const MAX_IDS_PER_EXECUTION = 500;

export const INSTANCE_ID = /^i-[0-9a-f]{1,17}$/;
export const ENI_ID = /^eni-[0-9a-f]{1,17}$/;

export const instanceId = z.string({ message: 'expected an instance id (i-...)' }).check(
  z.refine((v) => INSTANCE_ID.test(v), { error: (issue) => `${JSON.stringify(issue.input)} is not an instance id (i-...)` }),
);
const eniId = z.string({ message: 'expected a network interface id (eni-...)' }).check(
  z.refine((v) => ENI_ID.test(v), { error: (issue) => `${JSON.stringify(issue.input)} is not a network interface id (eni-...)` }),
);

const MANUAL_SHAPE =
  'expected {"instanceIds": ["i-..."]}, {"instanceId": "i-..."} or {"networkInterfaceIds": ["eni-..."]}, with optional "dryRun": true';

const manualSchema = z
  .strictObject({
    instanceIds: z.optional(z.array(instanceId).check(z.maxLength(MAX_IDS_PER_EXECUTION))),
    instanceId: z.optional(instanceId),
    networkInterfaceIds: z.optional(z.array(eniId).check(z.maxLength(MAX_IDS_PER_EXECUTION))),
    dryRun: z.optional(z.boolean({ message: 'expected true or false' })),
  })
  .check(
    z.refine((m) => (m.instanceIds?.length ?? 0) + (m.instanceId ? 1 : 0) + (m.networkInterfaceIds?.length ?? 0) > 0, {
      message: MANUAL_SHAPE,
    }),
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

/** Fails with InvalidInput naming every field that is wrong. */
export function fail(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): never {
  throw new InvalidInput(describeIssues(error));
}

export function normalizeInput(input: unknown): MirrorRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInput(`(root): ${MANUAL_SHAPE}`);
  }
  const record = input as Record<string, unknown>;

  if ('detail-type' in record || 'source' in record) {
    if (record['detail-type'] === 'AWS API Call via CloudTrail') {
      const parsed = attachCallSchema.safeParse(input);
      if (!parsed.success) fail(parsed.error);
      return {
        instanceIds: [],
        networkInterfaceIds: [parsed.data.detail.requestParameters.networkInterfaceId],
        dryRun: false,
        trigger: 'interface-attached',
      };
    }
    const parsed = stateChangeSchema.safeParse(input);
    if (!parsed.success) fail(parsed.error);
    return { instanceIds: [parsed.data.detail['instance-id']], networkInterfaceIds: [], dryRun: false, trigger: 'instance-running' };
  }

  const parsed = manualSchema.safeParse(input);
  if (!parsed.success) fail(parsed.error);
  const { instanceIds = [], instanceId: single, networkInterfaceIds = [], dryRun = false } = parsed.data;
  const allInstances = [...new Set([...instanceIds, ...(single ? [single] : [])])];
  if (allInstances.length + networkInterfaceIds.length > MAX_IDS_PER_EXECUTION) {
    throw new InvalidInput(`instanceIds: at most ${MAX_IDS_PER_EXECUTION} ids per execution (split the list)`);
  }
  return { instanceIds: allInstances, networkInterfaceIds: [...new Set(networkInterfaceIds)], dryRun, trigger: 'manual' };
}
