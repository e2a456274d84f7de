import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Emulator } from '../emulator/index.ts';
import { ZONAL_TARGETS, expectedEnis, type Burst } from './scenario.ts';

/**
 * What a burst left in the account, judged the same way for autotap and for the alternatives: the
 * sessions the emulator holds at the end, and when each ENI's first session came to exist.
 */

export interface AccountOutcome {
  eligibleEnis: number;
  mirroredEnis: number;
  /** Sessions beyond the first on one ENI: each mirrors the same packets again (and is billed). */
  duplicateSessions: number;
  /** Sessions on ENIs that must not have one (excluded by tag, or an unsupported instance type). */
  unwantedSessions: number;
  /** Sessions whose target is in another zone than the ENI while the ENI's zone has a target. */
  wrongZoneSessions: number;
}

interface SessionView {
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
}

export function accountOutcome(burst: Burst, sessions: readonly SessionView[]): AccountOutcome {
  const enis = expectedEnis(burst.instances);
  const zoneOfEni = new Map<string, string>();
  for (const instance of burst.instances) for (const id of instance.networkInterfaceIds) zoneOfEni.set(id, instance.availabilityZone);
  const zoneOfTarget = new Map(ZONAL_TARGETS.map((t) => [t.id, t.availabilityZone]));
  const zonesWithTarget = new Set(zoneOfTarget.values());
  const perEni = new Map<string, number>();
  for (const s of sessions) perEni.set(s.networkInterfaceId, (perEni.get(s.networkInterfaceId) ?? 0) + 1);
  const unwanted = new Set([...enis.excluded, ...enis.unsupported]);
  const wrongZone = sessions.filter((s) => {
    const eniZone = zoneOfEni.get(s.networkInterfaceId);
    const targetZone = zoneOfTarget.get(s.trafficMirrorTargetId);
    return eniZone !== undefined && targetZone !== undefined && targetZone !== eniZone && zonesWithTarget.has(eniZone);
  }).length;
  return {
    eligibleEnis: enis.eligible.length,
    mirroredEnis: enis.eligible.filter((id) => perEni.has(id)).length,
    duplicateSessions: [...perEni.values()].reduce((n, count) => n + Math.max(0, count - 1), 0),
    unwantedSessions: sessions.filter((s) => unwanted.has(s.networkInterfaceId)).length,
    wrongZoneSessions: wrongZone,
  };
}

export interface SessionWatch {
  /** Model seconds (from `now`) at which each ENI's first session was first seen. */
  firstSeen: Map<string, number>;
  stop(): void;
}

/**
 * Records when each ENI's first session comes to exist: after every HTTP response the emulator
 * sends to the SDK clients, the account's sessions are compared with those already seen. A session
 * exists from the response that created it, so the time is that of the response, to the resolution
 * of the event loop.
 */
export function watchSessions(emulator: Emulator, now: () => number): SessionWatch {
  const { host } = new URL(emulator.env().AWS_ENDPOINT_URL_EC2);
  const firstSeen = new Map<string, number>();
  let known = -1;
  const look = () => {
    const sessions = emulator.sessions();
    if (sessions.length === known) return;
    known = sessions.length;
    const at = now();
    for (const s of sessions) if (!firstSeen.has(s.networkInterfaceId)) firstSeen.set(s.networkInterfaceId, at);
  };
  const onResponse = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (request.getHeader('host') === host) look();
  };
  diagnosticsChannel.subscribe('http.client.response.finish', onResponse);
  return {
    firstSeen,
    stop: () => {
      look();
      diagnosticsChannel.unsubscribe('http.client.response.finish', onResponse);
    },
  };
}

export interface LatencySummary {
  /** ENIs the figures are over (eligible ones); those never mirrored count as infinitely late. */
  enis: number;
  neverMirrored: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted values (Infinity for ENIs never mirrored). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarizeLatency(seconds: readonly number[]): LatencySummary {
  const sorted = [...seconds].sort((a, b) => a - b);
  return {
    enis: sorted.length,
    neverMirrored: sorted.filter((s) => s === Number.POSITIVE_INFINITY).length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}
