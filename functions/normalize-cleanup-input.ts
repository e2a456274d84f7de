import { normalizeCleanupInput } from '../src/mirroring/reconcile-input.ts';
import type { WorkSlice } from '../src/mirroring/reconcile-work.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';

/** Stop, terminate and detach events, or `{"instanceIds": [...]}` by hand; anything else is InvalidInput. */
export const handler = lambdaHandler<unknown, WorkSlice>(async (event) => normalizeCleanupInput(event));
