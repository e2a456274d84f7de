import { describeAllManagedSessions, describeLiveInstances } from '../src/aws/ec2.ts';
import { classifyEc2Error, RetryableError } from '../src/mirroring/errors.ts';
import { normalizeReconcileInput } from '../src/mirroring/reconcile-input.ts';
import { splitWork, type WorkSlice } from '../src/mirroring/reconcile-work.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';

export interface ReconcileWork {
  dryRun: boolean;
  slices: WorkSlice[];
}

/** Lists the account once and splits it into slices for the Map; invalid manual input is InvalidInput. */
export const handler = lambdaHandler<unknown, ReconcileWork>(async (event) => {
  const request = normalizeReconcileInput(event);
  try {
    const [instances, managed] = await Promise.all([describeLiveInstances(request.vpcIds), describeAllManagedSessions()]);
    return { dryRun: request.dryRun, slices: splitWork(instances, managed, request) };
  } catch (error) {
    const verdict = classifyEc2Error(error as Error);
    if (verdict.action === 'retry') throw new RetryableError(verdict.error, (error as Error).message);
    throw error;
  }
});
