import { stillMirrored } from './service-sources.ts';
import type { MirroringConfig } from '../config/schema.ts';
import type { AppliedAction } from './apply.ts';
import { RetryableError } from './errors.ts';
import { planReconcile, type ReconcileAction } from './reconcile.ts';
import { describeStandings, INSTANCES_PER_SLICE, loadSlice, type SlicePorts } from './reconcile-work.ts';
import { candidateTargets, limitedTargetIds } from './targets.ts';
import { isManagedSession, type Instance, type Session, type Target } from './types.ts';

/**
 * The `reconcile` workflow in rounds. Each round describes the whole account afresh (paginated
 * describes, no EC2 NextToken kept between invocations, so changes made meanwhile cannot break a
 * pagination), plans it with the same pure `planReconcile` as before, and applies the planned
 * actions in a fixed order for as long as its Lambda has time. A round hands the next one only a
 * cursor (the key of the last action it settled) and counts: nothing that grows with the fleet rides
 * in the state machine's state. Whatever an earlier round applied is behind the cursor and not
 * counted twice; a create that EC2 does not show yet (eventual consistency) is behind it too, and
 * its deterministic ClientToken makes any repeat harmless.
 */

export interface AccountSnapshot {
  instances: Instance[];
  /** Every session of the account (of an instance snapshot: of its ENIs and of limited targets). */
  sessions: Session[];
  targets: Target[];
  /** Set when only these instances were described: sessions elsewhere are none of this round's business. */
  onlyInstanceIds?: string[];
  /**
   * Other accounts' sessions on the targets this account's sessions may use (RAM-shared ones, or its
   * own that it shares): they count towards a target's load, and nothing is planned for them.
   */
  foreignSessions?: Session[];
}

/**
 * Splits described sessions into the account's own and other accounts'. A session EC2 names no owner
 * for is the account's own (single-account stacks know no account id and need none).
 */
export function sessionsOwnedBy(
  sessions: readonly Session[],
  accountId: string | undefined,
): { own: Session[]; foreign: Session[] } {
  const own: Session[] = [];
  const foreign: Session[] = [];
  for (const s of sessions) (accountId && s.ownerId && s.ownerId !== accountId ? foreign : own).push(s);
  return { own, foreign };
}

export interface AccountPorts extends SlicePorts {
  describeLiveInstances(vpcIds: string[]): Promise<Instance[]>;
  /** Other services' requester-managed ENIs, as sources (`sources.loadBalancers`, `sources.requesterManaged`). */
  describeServiceInterfaces(vpcIds: string[]): Promise<Instance[]>;
  describeAllSessions(): Promise<Session[]>;
  describeTargets(): Promise<Target[]>;
}

/**
 * The three describes a round cannot avoid, each paginated to its end within this invocation (and
 * a fourth, of other services' ENIs, when the configuration opts into a kind of them; of those, only
 * the ones it mirrors are sources).
 */
export async function describeAccount(
  vpcIds: string[],
  config: MirroringConfig,
  ports: AccountPorts,
  accountId?: string,
): Promise<AccountSnapshot> {
  const anyKind = config.sources.loadBalancers.enabled || config.sources.requesterManaged.enabled;
  const [instances, services, sessions, targets] = await Promise.all([
    ports.describeLiveInstances(vpcIds),
    anyKind ? ports.describeServiceInterfaces(vpcIds) : [],
    ports.describeAllSessions(),
    ports.describeTargets(),
  ]);
  const mirrored = services.filter((source) => stillMirrored(source, config));
  const { own, foreign } = sessionsOwnedBy(sessions, accountId);
  // A member sees only its own sessions on a target shared with it: the target's owner sees them all.
  const shared = limitedTargetIds(
    candidateTargets(config, targets).targets.filter((t) => accountId && t.ownerId && t.ownerId !== accountId),
  );
  const elsewhere =
    shared.length > 0 ? sessionsOwnedBy(await ports.describeSessionsOfTargets(shared), accountId).foreign : [];
  const foreignSessions = [...new Map([...foreign, ...elsewhere].map((x) => [x.trafficMirrorSessionId, x])).values()];
  return {
    instances: [...instances, ...mirrored],
    sessions: own,
    targets,
    ...(foreignSessions.length > 0 ? { foreignSessions } : {}),
  };
}

/**
 * A round about some instances only (their tags changed): those instances, in the given VPCs (all
 * when none), the sessions on their ENIs, and the sessions on targets with a source limit, which
 * the choice of a target needs to know their load.
 */
export async function describeInstances(
  instanceIds: string[],
  vpcIds: string[],
  config: MirroringConfig,
  ports: AccountPorts,
  accountId?: string,
): Promise<AccountSnapshot> {
  // The same describes as a reconcile slice of these instances (reconcile-work.ts), kept as a snapshot.
  const slice = await loadSlice(
    {
      mode: 'reconcile',
      instanceIds,
      orphanNetworkInterfaceIds: [],
      sessionsOfInstanceIds: [],
      allManagedSessions: false,
      vpcIds,
      dryRun: false,
    },
    config,
    ports,
  );
  const instances = slice.instances.filter(
    (i) => vpcIds.length === 0 || i.networkInterfaces.some((n) => vpcIds.includes(n.vpcId ?? i.vpcId ?? '')),
  );
  const described = [
    ...new Map([...slice.sessions, ...slice.targetSessions].map((x) => [x.trafficMirrorSessionId, x])).values(),
  ];
  const { own, foreign } = sessionsOwnedBy(described, accountId);
  return {
    instances,
    sessions: own,
    targets: slice.accountTargets,
    onlyInstanceIds: instanceIds,
    ...(foreign.length > 0 ? { foreignSessions: foreign } : {}),
  };
}

/**
 * Every action `planReconcile` decides for the account, planned in chunks of instances as the
 * per-slice Lambdas did (the target load each chunk sees is the account's at the describe), and the
 * sessions autotap left on ENIs outside those instances (detached, or of instances gone).
 */
export async function planAccountRound(
  snapshot: AccountSnapshot,
  config: MirroringConfig,
  vpcIds: string[],
  ports: AccountPorts,
  perChunk = INSTANCES_PER_SLICE,
): Promise<ReconcileAction[]> {
  const sessionsByEni = new Map<string, Session[]>();
  for (const s of snapshot.sessions)
    sessionsByEni.set(s.networkInterfaceId, [...(sessionsByEni.get(s.networkInterfaceId) ?? []), s]);
  const limited = new Set(limitedTargetIds(candidateTargets(config, snapshot.targets).targets));
  const targetSessions = [...snapshot.sessions, ...(snapshot.foreignSessions ?? [])].filter((s) =>
    limited.has(s.trafficMirrorTargetId),
  );
  const instances = [...snapshot.instances].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const actions: ReconcileAction[] = [];
  const base = {
    config,
    mode: 'reconcile' as const,
    otherInterfaces: new Map(),
    accountTargets: snapshot.targets,
    targetSessions,
  };
  for (let i = 0; i < instances.length; i += perChunk) {
    const chunk = instances.slice(i, i + perChunk);
    const sessions = chunk.flatMap((instance) =>
      instance.networkInterfaces.flatMap((n) => sessionsByEni.get(n.networkInterfaceId) ?? []),
    );
    actions.push(...planReconcile({ ...base, instances: chunk, sessions }));
  }
  const liveEnis = new Set(instances.flatMap((i) => i.networkInterfaces.map((n) => n.networkInterfaceId)));
  // Of an instance snapshot, the sessions off its ENIs are other instances' (on a shared target), not orphans.
  const orphans = snapshot.onlyInstanceIds
    ? []
    : snapshot.sessions.filter((s) => isManagedSession(s) && !liveEnis.has(s.networkInterfaceId));
  if (orphans.length > 0) {
    const otherInterfaces = await describeStandings(
      [...new Set(orphans.map((s) => s.networkInterfaceId))],
      vpcIds,
      ports,
    );
    actions.push(
      ...planReconcile({
        ...base,
        instances: [],
        sessions: orphans,
        otherInterfaces,
        accountTargets: [],
        targetSessions: [],
      }),
    );
  }
  return actions;
}

/** Where an action stands in the order rounds work through: by ENI, then session, then kind. */
export function actionKey(
  action: Pick<ReconcileAction, 'networkInterfaceId' | 'trafficMirrorSessionId' | 'action'>,
): string {
  return `${action.networkInterfaceId} ${action.trafficMirrorSessionId ?? '-'} ${action.action}`;
}

/** The actions after the cursor, in key order ('' is before every action). */
export function actionsAfter(actions: readonly ReconcileAction[], cursor: string): ReconcileAction[] {
  return actions
    .map((action) => ({ action, key: actionKey(action) }))
    .filter(({ key }) => key > cursor)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ action }) => action);
}

/** Time a round keeps back from its Lambda's timeout: the batch in flight, the events, the answer. */
export const ROUND_RESERVE_MS = 30_000;

/** Actions a round settles between two looks at its clock (at least one batch per round). */
export const ROUND_BATCH = 20;

export interface RoundResult {
  applied: AppliedAction[];
  /** The key of the last action settled; the next round starts after it. */
  cursor: string;
  /** Planned actions after the cursor, left to the next round. */
  remaining: number;
}

/**
 * Applies `pending` (in key order) batch by batch while `hasTime()` says so; the first batch always
 * runs, so every round makes progress. Throttling after some progress ends the round early with
 * what is done (the next round picks up from the cursor); throttling in the first batch is thrown
 * to the state machine's Retry.
 */
export async function applyRound(
  pending: readonly ReconcileAction[],
  cursor: string,
  apply: (batch: readonly ReconcileAction[]) => Promise<AppliedAction[]>,
  hasTime: () => boolean,
  batchSize = ROUND_BATCH,
): Promise<RoundResult> {
  const applied: AppliedAction[] = [];
  let settled = 0;
  let last = cursor;
  while (settled < pending.length && (settled === 0 || hasTime())) {
    const batch = pending.slice(settled, settled + batchSize);
    try {
      applied.push(...(await apply(batch)));
    } catch (error) {
      if (error instanceof RetryableError && settled > 0) break;
      throw error;
    }
    settled += batch.length;
    last = actionKey(batch[batch.length - 1]!);
  }
  return { applied, cursor: last, remaining: pending.length - settled };
}
