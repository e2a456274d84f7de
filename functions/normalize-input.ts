import { normalizeInput, type MirrorRequest } from '../src/mirroring/input.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';

/** Accepts every form that starts `mirror-instances`; anything else fails the execution as InvalidInput. */
export const handler = lambdaHandler<unknown, MirrorRequest>(async (event) => normalizeInput(event));
