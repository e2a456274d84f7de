import { z } from 'zod';
import { configFromEnvironment } from '../src/config/environment.ts';
import { createSession, describeSessionsOfInterfaces } from '../src/aws/ec2.ts';
import { attachInterface } from '../src/mirroring/attach.ts';
import { InvalidInput } from '../src/mirroring/input.ts';
import type { EniResult } from '../src/mirroring/types.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { parseOrThrow } from '../src/validation.ts';

const attachmentSchema = z.object({
  instanceId: z.string(),
  networkInterfaceId: z.string(),
  trafficMirrorTargetId: z.string(),
  alternativeTargetIds: z.array(z.string()).default([]),
  trafficMirrorFilterId: z.string(),
  sessionNumber: z.number().int().min(1).max(32766),
  usedSessionNumbers: z.array(z.number().int()).default([]),
  launchTime: z.string().optional(),
  dryRun: z.boolean().default(false),
});

export const handler = lambdaHandler<unknown, EniResult>(async (event) => {
  const attachment = parseOrThrow(attachmentSchema, event, (d) => new InvalidInput(d));
  return attachInterface(attachment, configFromEnvironment().mirroring, { createSession, describeSessionsOfInterfaces });
});
