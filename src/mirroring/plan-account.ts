import type { MirroringConfig } from '../config/schema.ts';
import { planReconcile, type ReconcileAction } from './reconcile.ts';
import { loadSlice, splitWork, type SlicePorts } from './reconcile-work.ts';
import type { Instance, Session } from './types.ts';

export interface AccountPorts extends SlicePorts {
  describeLiveInstances(vpcIds: string[]): Promise<Instance[]>;
  describeAllManagedSessions(): Promise<Session[]>;
}

/**
 * The reconciler's decisions for a whole account, read-only: the same listing, slicing and planning
 * the `reconcile` workflow runs, in one process (what `autotap plan` shows).
 */
export async function planAccount(config: MirroringConfig, ports: AccountPorts, vpcIds: string[] = []): Promise<ReconcileAction[]> {
  const [instances, managed] = await Promise.all([ports.describeLiveInstances(vpcIds), ports.describeAllManagedSessions()]);
  const actions: ReconcileAction[] = [];
  for (const work of splitWork(instances, managed, { vpcIds, dryRun: true })) {
    actions.push(...planReconcile(await loadSlice(work, config, ports)));
  }
  return actions;
}
