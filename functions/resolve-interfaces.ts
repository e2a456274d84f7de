import * as z from 'zod/mini';
import { mirroringConfig, organizationSection } from '../src/config/environment.ts';
import { ec2ClientIn, ec2In, mirroringIn } from '../src/aws/places.ts';
import {
  ALTERNATIVE_TARGETS_PER_ATTACHMENT,
  InvalidInput,
  MIRROR_TRIGGERS,
  type MirrorRequest,
} from '../src/mirroring/input.ts';
import type { InterfacePlan } from '../src/mirroring/plan.ts';
import { resolveInterfaces } from '../src/mirroring/resolve.ts';
import { placeOutOfScope } from '../src/organization/scope.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { parseOrThrow } from '../src/validation.ts';

const inputSchema = z.object({
  request: z.object({
    instanceIds: z.array(z.string()),
    networkInterfaceIds: z.array(z.string()),
    dryRun: z.boolean(),
    trigger: z.enum(MIRROR_TRIGGERS),
    eventTime: z.optional(z.nullable(z.string())),
    place: z.optional(z.object({ accountId: z.string(), region: z.string() })),
  }),
  finalAttempt: z._default(z.boolean(), false),
});

export type ResolveOutput = InterfacePlan & { request: MirrorRequest };

export const handler = lambdaHandler<unknown, ResolveOutput>(async (event) => {
  const { request, finalAttempt } = parseOrThrow(inputSchema, event, (d) => new InvalidInput(d));
  // Throttled or not-yet-visible describes reach here as RetryableError, which the state machine retries.
  const organization = organizationSection();
  // An account or Region outside the organization's scope is not touched: not even described.
  if (organization && request.place && placeOutOfScope(organization, request.place)) {
    const skipped = (instanceId: string, networkInterfaceId: string) => ({
      instanceId,
      networkInterfaceId,
      outcome: 'skipped' as const,
      reason: 'out-of-scope',
    });
    return {
      request,
      results: [
        ...request.instanceIds.map((id) => skipped(id, '')),
        ...request.networkInterfaceIds.map((id) => skipped('', id)),
      ],
      attachments: [],
      missingTargets: [],
    };
  }
  // In a member account: its role's client, its override and its filter (src/aws/places.ts).
  const client = ec2ClientIn(request.place, organization);
  const mirroring = await mirroringIn(mirroringConfig(), request.place, organization, client);
  const inOrganization = organization !== undefined && request.place !== undefined;
  const plan = await resolveInterfaces(
    request,
    mirroring,
    ec2In(client, request.place, organization),
    finalAttempt,
    inOrganization,
  );
  // Only the first alternatives ride in the state: one attachment per ENI must stay small. Each
  // carries the place, as the Map hands AttachSession its attachment alone.
  const attachments = plan.attachments.map((a) => ({
    ...a,
    alternativeTargetIds: a.alternativeTargetIds.slice(0, ALTERNATIVE_TARGETS_PER_ATTACHMENT),
    ...(request.place ? { place: request.place } : {}),
  }));
  return { request, ...plan, attachments };
});
