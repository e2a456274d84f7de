import type { MirroringConfig } from '../config/schema.ts';
import type { ReconcileAction } from './reconcile.ts';
import { describeAccount, planAccountRound, type AccountPorts } from './reconcile-round.ts';

/**
 * The reconciler's decisions for a whole account, read-only: the same describes and planning a
 * `reconcile` round runs (what `autotap plan` shows).
 */
export async function planAccount(config: MirroringConfig, ports: AccountPorts, vpcIds: string[] = []): Promise<ReconcileAction[]> {
  return planAccountRound(await describeAccount(vpcIds, ports), config, vpcIds, ports);
}
