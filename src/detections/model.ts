/** The detections domain: one NDR detection as autotap understands it, independent of the wire shape. */

export type Severity = 'low' | 'medium' | 'high';

/** ExtraHop's own SIEM parser bands: 1-30 low, 31-79 medium, 80-99 high. */
export const SEVERITY_BANDS: readonly { severity: Severity; min: number; max: number }[] = [
  { severity: 'low', min: 1, max: 30 },
  { severity: 'medium', min: 31, max: 79 },
  { severity: 'high', min: 80, max: 99 },
];

export const MIN_RISK_SCORE = 1;
export const MAX_RISK_SCORE = 99;

export function severityOf(riskScore: number): Severity {
  if (riskScore >= 80) return 'high';
  if (riskScore >= 31) return 'medium';
  return 'low';
}

/** Ordinal of a band, so that "crossed into a higher band" is a plain comparison. */
export function severityRank(severity: Severity): number {
  return severity === 'high' ? 2 : severity === 'medium' ? 1 : 0;
}

/** `open` is what the appliance UI shows for a null status. */
export type DetectionStatus = 'open' | 'new' | 'in_progress' | 'acknowledged' | 'closed';
export const DETECTION_STATUSES: readonly DetectionStatus[] = ['open', 'new', 'in_progress', 'acknowledged', 'closed'];

export interface Participant {
  /** `offender`, `victim`, or whatever else the appliance names. */
  role: string;
  /** `device`, `ipaddr`, ... */
  objectType: string;
  objectId?: string;
  ipAddress?: string;
  hostname?: string;
  external?: boolean;
  username?: string;
}

export interface MitreReference {
  id: string;
  name: string;
  url?: string;
}

export interface Detection {
  /** String form of the integer id: ids outgrow 32 bits and travel through JSON, DynamoDB keys and URLs. */
  id: string;
  type: string;
  title: string;
  /** Markdown exactly as received; renderers convert it for their medium. */
  description: string;
  categories: string[];
  riskScore: number;
  severity: Severity;
  /** Epoch milliseconds. */
  startTime: number;
  /** Absent while the detection is ongoing. */
  endTime?: number;
  updateTime: number;
  /** Changes on every update, activity or triage: the ordering key between deliveries. */
  modTime: number;
  createTime?: number;
  status: DetectionStatus;
  resolution?: string;
  assignee?: string;
  ticketId?: string;
  participants: Participant[];
  mitreTactics: MitreReference[];
  mitreTechniques: MitreReference[];
  /** Absolute deep link to the detection; absent only when neither the payload nor the configuration names the appliance. */
  url?: string;
  applianceId?: string;
  /** Base URL of the appliance the detection came from: resolves the relative links older firmware writes. */
  applianceUrl?: string;
  source: 'extrahop';
}

/** `https://host/` and `https://host` both give `https://host`. */
export function applianceBase(applianceUrl: string): string {
  return applianceUrl.replace(/\/+$/, '');
}

export function detectionUrl(applianceUrl: string, id: string): string {
  return `${applianceBase(applianceUrl)}/extrahop/#/detections/detail/${encodeURIComponent(id)}`;
}

/** Makes an appliance-relative link (`#/...`, `/extrahop/...`) absolute; other links are returned as they are. */
export function resolveApplianceLink(link: string, applianceUrl: string | undefined): string {
  if (!applianceUrl) return link;
  const base = applianceBase(applianceUrl);
  if (link.startsWith('#/')) return `${base}/extrahop/${link}`;
  if (link.startsWith('/')) return `${base}${link}`;
  return link;
}

export function offenders(d: Detection): Participant[] {
  return d.participants.filter((p) => p.role === 'offender');
}

export function victims(d: Detection): Participant[] {
  return d.participants.filter((p) => p.role === 'victim');
}

/** Stable identity of a participant across updates: devices by id, bare addresses by address. */
export function participantKey(p: Participant): string {
  const identity = p.objectId ?? p.ipAddress ?? p.hostname ?? '?';
  return `${p.role}:${p.objectType}:${identity}`;
}

/** How a participant is named to a human: hostname and address when both are known. */
export function participantLabel(p: Participant): string {
  if (p.hostname && p.ipAddress && p.hostname !== p.ipAddress) return `${p.hostname} (${p.ipAddress})`;
  return p.hostname ?? p.ipAddress ?? (p.objectId ? `${p.objectType} ${p.objectId}` : p.objectType);
}

/** Shortest useful name, for subjects and one-line summaries. */
export function participantShortLabel(p: Participant): string {
  return p.ipAddress ?? p.hostname ?? (p.objectId ? `${p.objectType} ${p.objectId}` : p.objectType);
}

/** `10.0.1.7 -> 175.16.199.0 +1`, or '' when the detection names neither side. */
export function participantsSummary(d: Detection): string {
  const from = offenders(d);
  const to = victims(d);
  const side = (list: Participant[]) =>
    list.length === 0
      ? ''
      : list.length === 1
        ? participantShortLabel(list[0]!)
        : `${participantShortLabel(list[0]!)} +${list.length - 1}`;
  const left = side(from);
  const right = side(to);
  if (left && right) return `${left} -> ${right}`;
  return left || right;
}

/** The top-level category (`sec` for `sec.command`), which filter policies match on. */
export function topCategory(d: Detection): string | undefined {
  const first = d.categories[0];
  return first === undefined ? undefined : first.split('.')[0] || undefined;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
