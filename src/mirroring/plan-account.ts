import type { MirroringConfig } from '../config/schema.ts';
import type { ReconcileAction } from './reconcile.ts';
import {
  describeAccount,
  describeInstances,
  planAccountRound,
  type AccountPorts,
  type AccountSnapshot,
} from './reconcile-round.ts';

/**
 * The reconciler's decisions for a whole account, read-only: the same describes and planning a
 * `reconcile` round runs (what `autotap plan` shows).
 */
export async function planAccount(
  config: MirroringConfig,
  ports: AccountPorts,
  vpcIds: string[] = [],
): Promise<ReconcileAction[]> {
  return (await planAccountWithSnapshot(config, ports, vpcIds)).actions;
}

/**
 * The same, with the account as described (what `plan` prices the actions against). With
 * `instanceIds`, only those instances, as the round a tag change starts describes them. With
 * `accountId`, other accounts' sessions (on a target it owns or shares) count for load only.
 */
export async function planAccountWithSnapshot(
  config: MirroringConfig,
  ports: AccountPorts,
  vpcIds: string[] = [],
  instanceIds?: string[],
  accountId?: string,
): Promise<{ snapshot: AccountSnapshot; actions: ReconcileAction[] }> {
  const snapshot =
    instanceIds !== undefined
      ? await describeInstances(instanceIds, vpcIds, config, ports, accountId)
      : await describeAccount(vpcIds, config, ports, accountId);
  return { snapshot, actions: await planAccountRound(snapshot, config, vpcIds, ports) };
}
