import { seededRandom } from '../emulator/faults.ts';

/**
 * One poll window of an appliance under load: N detection records as `POST /api/v1/detections/search`
 * returns them (REST, snake_case, epoch ms), sorted by mod_time. Besides first sightings, the window
 * holds updates (an id seen earlier with a later mod_time: risk raised, a new victim, triage, closed)
 * and exact duplicates (the same id and mod_time again, as offset pagination repeats a record when the
 * result set shifts between pages). Seeded: the same window every run.
 */

export type RawDetection = Record<string, unknown>;

export interface DetectionWindowParams {
  /** Records in the window, updates and duplicates included. */
  detections: number;
  /** Share of records that are a later version of an id seen earlier in the window. */
  updateShare: number;
  /** Share of records repeated verbatim. */
  duplicateShare: number;
  seed: number;
}

export const DEFAULT_WINDOW: DetectionWindowParams = { detections: 10_000, updateShare: 0.15, duplicateShare: 0.05, seed: 7 };

/** 2026-01-01T00:00:00Z: the window's first mod_time. */
export const WINDOW_START_MS = 1_767_225_600_000;
/** Ids above 2^32, as large appliances hand out. */
const FIRST_ID = 4_294_967_296 + 1000;

export type UpdateKind = 'risk-raised' | 'new-victim' | 'triage' | 'closed';

export interface DetectionWindow {
  params: DetectionWindowParams;
  /** Sorted by mod_time (ties keep generation order). */
  records: RawDetection[];
  counts: {
    records: number;
    firstSightings: number;
    updates: Record<UpdateKind, number>;
    duplicates: number;
    /** First sightings per severity band (1-30 low, 31-79 medium, 80-99 high). */
    bands: { low: number; medium: number; high: number };
    types: number;
  };
}

/** Types of security detections seen on RevealX, with the usual risk of each. */
const TYPES: readonly { type: string; title: string; risk: number; tactic: [string, string] }[] = [
  { type: 'rdp_brute_force', title: 'RDP Brute Force', risk: 55, tactic: ['TA0006', 'Credential Access'] },
  { type: 'ssh_brute_force', title: 'SSH Brute Force', risk: 50, tactic: ['TA0006', 'Credential Access'] },
  { type: 'icmp_tunnel', title: 'ICMP Tunnel', risk: 75, tactic: ['TA0011', 'Command and Control'] },
  { type: 'dns_tunnel', title: 'DNS Tunnel', risk: 80, tactic: ['TA0011', 'Command and Control'] },
  { type: 'hacking_tools', title: 'Hacking Tools', risk: 70, tactic: ['TA0002', 'Execution'] },
  { type: 'port_scan', title: 'Port Scan', risk: 20, tactic: ['TA0007', 'Discovery'] },
  { type: 'smb_enumeration', title: 'SMB/CIFS Enumeration', risk: 25, tactic: ['TA0007', 'Discovery'] },
  { type: 'ransomware_activity', title: 'Ransomware Activity', risk: 95, tactic: ['TA0040', 'Impact'] },
  { type: 'data_exfiltration', title: 'Data Exfiltration', risk: 85, tactic: ['TA0010', 'Exfiltration'] },
  { type: 'lateral_movement_smb', title: 'Lateral Movement over SMB', risk: 65, tactic: ['TA0008', 'Lateral Movement'] },
  { type: 'kerberoasting', title: 'Kerberoasting', risk: 60, tactic: ['TA0006', 'Credential Access'] },
  { type: 'weak_cipher', title: 'Weak Cipher Suite', risk: 10, tactic: ['TA0009', 'Collection'] },
];

const ip = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

export function generateWindow(input: Partial<DetectionWindowParams> = {}): DetectionWindow {
  const params = { ...DEFAULT_WINDOW, ...input };
  const random = seededRandom(params.seed);
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;

  const duplicates = Math.round(params.detections * params.duplicateShare);
  const updates = Math.round(params.detections * params.updateShare);
  const firsts = Math.max(1, params.detections - duplicates - updates);
  const counts: DetectionWindow['counts'] = {
    records: 0,
    firstSightings: firsts,
    updates: { 'risk-raised': 0, 'new-victim': 0, triage: 0, closed: 0 },
    duplicates: 0,
    bands: { low: 0, medium: 0, high: 0 },
    types: TYPES.length,
  };

  // First sightings spread over the window, about 300 ms apart on average.
  const records: RawDetection[] = [];
  let modTime = WINDOW_START_MS;
  for (let i = 0; i < firsts; i += 1) {
    modTime += int(1, 600);
    const kind = pick(TYPES);
    // Each type's usual risk, spread over +-25: every band occurs, and some cross minRiskScore.
    const risk = Math.min(99, Math.max(1, kind.risk + int(-25, 25)));
    counts.bands[risk <= 30 ? 'low' : risk <= 79 ? 'medium' : 'high'] += 1;
    const offender = int(1, 5000);
    const victims = Array.from({ length: random() < 0.7 ? 1 : int(2, 6) }, () => int(5001, 60000));
    const id = FIRST_ID + i;
    records.push({
      id,
      type: kind.type,
      title: kind.title,
      description: `[${ip(offender)}](#/metrics/devices/${offender}) ${kind.title.toLowerCase()} against ${victims.length} device(s). See [the runbook](https://docs.example.com/${kind.type}).`,
      categories: ['sec', kind.tactic[1] === 'Discovery' ? 'sec.recon' : 'sec.attack'],
      risk_score: risk,
      start_time: modTime - int(1000, 3_600_000),
      update_time: modTime,
      mod_time: modTime,
      create_time: modTime - int(0, 1000),
      status: random() < 0.9 ? null : 'new',
      resolution: null,
      assignee: null,
      ticket_id: null,
      participants: [
        { role: 'offender', object_type: 'device', object_id: offender, object_value: ip(offender), hostname: `host-${offender}.corp.example`, external: false, id: 2 * i },
        ...victims.map((v, k) => ({ role: 'victim', object_type: random() < 0.5 ? 'device' : 'ipaddr', object_id: v, object_value: ip(v), external: false, id: 2 * i + 1 + k })),
      ],
      properties: {},
      mitre_tactics: [{ id: kind.tactic[0], name: kind.tactic[1], url: `https://attack.mitre.org/tactics/${kind.tactic[0]}/` }],
      mitre_techniques: [],
      recommended: risk >= 80,
      is_user_created: false,
      appliance_id: 1,
    });
  }

  // Updates: a later version of an earlier id, at least a few seconds later (update_time and mod_time move together).
  const latest = new Map<number, RawDetection>();
  for (const r of records) latest.set(r.id as number, r);
  const updated: RawDetection[] = [];
  for (let i = 0; i < updates; i += 1) {
    const base = latest.get(FIRST_ID + int(0, firsts - 1)) as RawDetection;
    const next: RawDetection = structuredClone(base);
    const at = (base.mod_time as number) + int(5_000, 600_000);
    next.mod_time = at;
    next.update_time = at;
    const roll = random();
    let kind: UpdateKind;
    if (base.status === 'closed' || roll < 0.35) {
      kind = 'risk-raised';
      next.risk_score = Math.min(99, (base.risk_score as number) + int(10, 40));
    } else if (roll < 0.6) {
      kind = 'new-victim';
      const v = int(60001, 90000);
      (next.participants as RawDetection[]).push({ role: 'victim', object_type: 'ipaddr', object_value: ip(v), external: false, id: 1_000_000 + i });
    } else if (roll < 0.9) {
      kind = 'triage';
      next.status = 'in_progress';
      next.assignee = 'soc-analyst';
    } else {
      kind = 'closed';
      next.status = 'closed';
      next.resolution = random() < 0.5 ? 'action_taken' : 'no_action_taken';
      next.end_time = at;
    }
    counts.updates[kind] += 1;
    latest.set(next.id as number, next);
    updated.push(next);
  }

  const all = [...records, ...updated];
  for (let i = 0; i < duplicates; i += 1) all.push(structuredClone(all[int(0, all.length - 1)] as RawDetection));
  counts.duplicates = duplicates;
  counts.records = all.length;
  // Stable: a duplicate sorts right after its original.
  all.sort((a, b) => (a.mod_time as number) - (b.mod_time as number));
  return { params, records: all, counts };
}
