import * as z from 'zod/mini';
import { mirroringConfig } from '../src/config/environment.ts';
import {
  describeInstances,
  describeInterfaceStandings,
  describeSessionsOfInterfaces,
  describeSessionsOfTargets,
  describeTargets,
} from '../src/aws/ec2.ts';
import {
  ALTERNATIVE_TARGETS_PER_ATTACHMENT,
  InvalidInput,
  MIRROR_TRIGGERS,
  type MirrorRequest,
} from '../src/mirroring/input.ts';
import type { InterfacePlan } from '../src/mirroring/plan.ts';
import { resolveInterfaces } from '../src/mirroring/resolve.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { parseOrThrow } from '../src/validation.ts';

const inputSchema = z.object({
  request: z.object({
    instanceIds: z.array(z.string()),
    networkInterfaceIds: z.array(z.string()),
    dryRun: z.boolean(),
    trigger: z.enum(MIRROR_TRIGGERS),
    eventTime: z.optional(z.nullable(z.string())),
  }),
  finalAttempt: z._default(z.boolean(), false),
});

export type ResolveOutput = InterfacePlan & { request: MirrorRequest };

export const handler = lambdaHandler<unknown, ResolveOutput>(async (event) => {
  const { request, finalAttempt } = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  // Throttled or not-yet-visible describes reach here as RetryableError, which the state machine retries.
  const plan = await resolveInterfaces(
    request,
    mirroringConfig(),
    {
      describeInstances,
      describeInterfaceStandings,
      describeSessionsOfInterfaces,
      describeSessionsOfTargets,
      describeTargets,
    },
    finalAttempt,
  );
  // Only the first alternatives ride in the state: one attachment per ENI must stay small.
  const attachments = plan.attachments.map((a) => ({
    ...a,
    alternativeTargetIds: a.alternativeTargetIds.slice(0, ALTERNATIVE_TARGETS_PER_ATTACHMENT),
  }));
  return { request, ...plan, attachments };
});
