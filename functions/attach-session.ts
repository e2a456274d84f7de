import * as z from 'zod/mini';
import { mirroringConfig, organizationSection } from '../src/config/environment.ts';
import { ec2ClientIn, ec2In } from '../src/aws/places.ts';
import { attachInterface } from '../src/mirroring/attach.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import type { EniResult } from '../src/mirroring/types.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { parseOrThrow } from '../src/validation.ts';

const attachmentSchema = z.object({
  instanceId: z.string(),
  networkInterfaceId: z.string(),
  loadBalancer: z.optional(z.string()),
  requester: z.optional(z.string()),
  trafficMirrorTargetId: z.string(),
  alternativeTargetIds: z._default(z.array(z.string()), []),
  trafficMirrorFilterId: z.string(),
  sessionNumber: z.int().check(z.minimum(1), z.maximum(32766)),
  usedSessionNumbers: z._default(z.array(z.int()), []),
  packetLength: z.optional(z.nullable(z.int().check(z.minimum(1), z.maximum(8500)))),
  override: z.optional(z.string()),
  virtualNetworkId: z.optional(z.int().check(z.minimum(0), z.maximum(16777215))),
  launchTime: z.optional(z.string()),
  dryRun: z._default(z.boolean(), false),
  place: z.optional(z.object({ accountId: z.string(), region: z.string() })),
});

export const handler = lambdaHandler<unknown, EniResult>(async (event) => {
  const attachment = parseOrThrow(attachmentSchema, event, (d) => new InvalidInput(d));
  const organization = organizationSection();
  const client = ec2ClientIn(attachment.place, organization);
  const { createSession, describeSessionsOfInterfaces } = ec2In(client, attachment.place, organization);
  // The filter came with the attachment; what attach reads of the section is the same in every account.
  return attachInterface(attachment, mirroringConfig(), { createSession, describeSessionsOfInterfaces });
});
