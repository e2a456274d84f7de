import { eventTimeOf, normalizeInput, type MirrorRequest } from '../src/mirroring/input.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';

/**
 * Accepts every form that starts `mirror-instances`; anything else fails the execution as InvalidInput.
 * The event's time always comes along (null when there is none): Summarize reads it by path.
 */
export const handler = lambdaHandler<unknown, MirrorRequest>(async (event) => ({
  ...normalizeInput(event),
  eventTime: eventTimeOf(event),
}));
