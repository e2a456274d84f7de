import * as z from 'zod/mini';
import { describeIssues } from '../validation.ts';
import { multiline, oneLine } from './neutralize.ts';
import { trimText } from './trim.ts';
import {
  DETECTION_STATUSES,
  MAX_RISK_SCORE,
  MIN_RISK_SCORE,
  detectionUrl,
  resolveApplianceLink,
  severityOf,
  type Detection,
  type DetectionStatus,
  type MitreReference,
  type Participant,
} from './model.ts';
import { describeThrown } from '../thrown.ts';

/**
 * The longest each one-line field may be, in characters, once neutralised: longer text ends with
 * `... (truncated)`. With them, a detection without its description and lists always fits an SNS
 * message (256 KiB) and a DynamoDB item (400 KB) several times over; descriptions and lists are fitted
 * per channel when published (publish.ts).
 */
export const FIELD_LIMITS = {
  title: 1_000,
  type: 200,
  category: 200,
  /** A deep link; Slack accepts button URLs up to 3,000 characters. */
  url: 2_000,
  role: 64,
  objectType: 64,
  /** An address, or whatever the appliance puts in object_value. */
  ipAddress: 128,
  /** DNS names are at most 253 characters. */
  hostname: 255,
  username: 256,
  assignee: 256,
  ticketId: 256,
  resolution: 128,
  mitreId: 64,
  mitreName: 256,
  mitreUrl: 500,
  applianceId: 128,
} as const;

/** A one-line field as people may read it: neutralised (see neutralize.ts) and trimmed visibly. */
function line(text: string, max: number): string {
  return trimText(oneLine(text), max);
}

/** A required field that neutralising left empty (it held only invisible characters) still says something. */
function requiredLine(text: string, max: number): string {
  return line(text, max) || 'unknown';
}

/** A payload that cannot be read as a detection; the message names the field and what was expected. */
export class InvalidDetection extends Error {
  override name = 'InvalidDetection';
}

export interface NormalizeContext {
  /** The configured appliance, e.g. `https://extrahop.example.com`: builds the deep link when the payload has none. */
  applianceUrl?: string;
}

export interface RejectedDetection {
  /** Position in the delivered array (0 for a single object). */
  index: number;
  /** The id when it could be read, so that a rejection can be traced on the appliance. */
  id?: string;
  error: string;
}

export interface NormalizedBatch {
  detections: Detection[];
  rejected: RejectedDetection[];
}

const INVALID = Symbol('invalid');
type Reading<T> = T | typeof INVALID;

/**
 * A field read by a plain function rather than composed zod types: the wire accepts several shapes
 * per field (ms or ISO, integer or string) and every failure must say the same thing, `expected ...`.
 */
function field<T>(expectation: string, read: (value: unknown) => Reading<T>) {
  return z.transform((value: unknown, ctx): T => {
    const result = read(value);
    if (result === INVALID) {
      ctx.issues.push({ code: 'custom', message: `expected ${expectation}`, input: value });
      return z.NEVER;
    }
    return result;
  });
}

/** An optional key: zod skips the reader when the key is absent, so only null and present values reach it. */
function optionalField<T>(expectation: string, read: (value: unknown) => Reading<T | undefined>) {
  return z.optional(field(expectation, read));
}

const absent = (value: unknown) => value === undefined || value === null;

// Date cannot represent more than 8.64e15 ms; beyond that every renderer would throw.
const MAX_TIME = 8.64e15;

function readTime(value: unknown): Reading<number> {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_TIME ? value : INVALID;
  if (typeof value !== 'string') return INVALID;
  const text = value.trim();
  if (/^\d{1,16}$/.test(text)) return readTime(Number(text));
  // Without a zone Date.parse would use the host's local time; the appliance means UTC.
  const match = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(text);
  if (!match) return INVALID;
  const zoned = text.length > 10 && match[1] === undefined ? `${text}Z` : text;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  return Number.isFinite(ms) && ms >= 0 ? ms : INVALID;
}

const TIME = 'epoch milliseconds or an ISO-8601 time';
const requiredTime = field(TIME, readTime);
const optionalTime = optionalField(`${TIME}, or null`, (v) => (absent(v) ? undefined : readTime(v)));

function readIntegerString(value: unknown): Reading<string> {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : INVALID;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value.trim())) return value.trim();
  return INVALID;
}

const optionalString = optionalField('a string or null', (v) =>
  absent(v) ? undefined : typeof v === 'string' ? v || undefined : INVALID,
);

const participantSchema = z.object(
  {
    role: field('a string', (v) => (typeof v === 'string' && v !== '' ? v : INVALID)),
    object_type: field('a string', (v) => (typeof v === 'string' && v !== '' ? v : INVALID)),
    object_id: optionalField('an integer id or null', (v) => (absent(v) ? undefined : readIntegerString(v))),
    object_value: optionalString,
    // Some shapes name the address `ipaddr`; object_value wins when both are present.
    ipaddr: optionalString,
    hostname: optionalString,
    external: optionalField('a boolean or null', (v) => (absent(v) ? undefined : typeof v === 'boolean' ? v : INVALID)),
    username: optionalString,
  },
  { error: 'expected a participant object' },
);

const mitreSchema = z.object(
  {
    id: field('a string', (v) => (typeof v === 'string' && v !== '' ? v : INVALID)),
    name: field('a string', (v) => (typeof v === 'string' ? v : INVALID)),
    url: optionalString,
  },
  { error: 'expected an object with id and name' },
);

const listOf = <S extends z.ZodMiniType>(item: S) =>
  z.pipe(
    z.nullish(z.array(item, { error: 'expected an array or null' })),
    z.transform((v: z.output<S>[] | null | undefined) => v ?? []),
  );

const statuses = DETECTION_STATUSES.filter((s) => s !== 'open').join(', ');

const restDetectionSchema = z.object(
  {
    id: field('an integer id', readIntegerString),
    type: field('a non-empty string', (v) => (typeof v === 'string' && v !== '' ? v : INVALID)),
    title: optionalString,
    description: optionalString,
    // An absent key takes the default without the reader (a bare field would be a missing key); null reads the same.
    categories: z._default(
      field('an array of strings or null', (v): Reading<string[]> =>
        absent(v) ? [] : Array.isArray(v) && v.every((c) => typeof c === 'string') ? v : INVALID,
      ),
      (): string[] => [],
    ),
    risk_score: field(`an integer from ${MIN_RISK_SCORE} to ${MAX_RISK_SCORE}`, (v) =>
      typeof v === 'number' && Number.isInteger(v) && v >= MIN_RISK_SCORE && v <= MAX_RISK_SCORE ? v : INVALID,
    ),
    start_time: requiredTime,
    end_time: optionalTime,
    update_time: optionalTime,
    mod_time: optionalTime,
    create_time: optionalTime,
    status: z._default(
      field(`null or one of ${statuses}`, (v): Reading<DetectionStatus> =>
        absent(v)
          ? 'open'
          : typeof v === 'string' && (DETECTION_STATUSES as readonly string[]).includes(v)
            ? (v as DetectionStatus)
            : INVALID,
      ),
      (): DetectionStatus => 'open',
    ),
    resolution: optionalString,
    assignee: optionalString,
    ticket_id: optionalField('a string, an integer or null', (v) =>
      absent(v)
        ? undefined
        : typeof v === 'string'
          ? v.trim() || undefined
          : typeof v === 'number' && Number.isSafeInteger(v)
            ? String(v)
            : INVALID,
    ),
    participants: listOf(participantSchema),
    mitre_tactics: listOf(mitreSchema),
    mitre_techniques: listOf(mitreSchema),
    url: optionalString,
    appliance_id: optionalField('an integer id, a string or null', (v) =>
      absent(v) ? undefined : typeof v === 'string' ? v || undefined : readIntegerString(v),
    ),
  },
  { error: 'expected a detection object' },
);

type RestDetection = z.infer<typeof restDetectionSchema>;

/**
 * ExtraHop's open-data-stream integration publishes camelCase (`riskScore`, `startTime`); the REST
 * API snake_case. Renaming keys keeps a single schema; a snake_case key wins when both are present.
 */
function toSnakeCase(value: unknown): unknown {
  if (!isPlainRecord(value)) return value;
  const entries = Object.entries(value);
  const present = new Set(Object.keys(value));
  const renamed = entries.map(([key, v]): [string, unknown] => {
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return [snake !== key && !present.has(snake) ? snake : key, v];
  });
  // Object.fromEntries defines properties, so a `__proto__` key stays data.
  return Object.fromEntries(renamed);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function camelCaseNested(raw: Record<string, unknown>): Record<string, unknown> {
  const out = toSnakeCase(raw) as Record<string, unknown>;
  const participants = out.participants;
  if (Array.isArray(participants)) {
    return Object.fromEntries(
      Object.entries(out).map(([k, v]) => (k === 'participants' ? [k, participants.map(toSnakeCase)] : [k, v])),
    );
  }
  return out;
}

function toParticipant(p: RestDetection['participants'][number]): Participant {
  const participant: Participant = {
    role: requiredLine(p.role, FIELD_LIMITS.role),
    objectType: requiredLine(p.object_type, FIELD_LIMITS.objectType),
  };
  const ipAddress = p.object_value ?? p.ipaddr;
  if (p.object_id !== undefined) participant.objectId = p.object_id;
  if (ipAddress !== undefined) participant.ipAddress = line(ipAddress, FIELD_LIMITS.ipAddress);
  if (p.hostname !== undefined) participant.hostname = line(p.hostname, FIELD_LIMITS.hostname);
  if (p.external !== undefined) participant.external = p.external;
  if (p.username !== undefined) participant.username = line(p.username, FIELD_LIMITS.username);
  return participant;
}

function toMitre(m: RestDetection['mitre_tactics'][number]): MitreReference {
  const reference: MitreReference = {
    id: requiredLine(m.id, FIELD_LIMITS.mitreId),
    name: line(m.name, FIELD_LIMITS.mitreName),
  };
  // A link cut short would lead somewhere else: a long one is left out rather than trimmed.
  const url = m.url === undefined ? undefined : oneLine(m.url);
  if (url && url.length <= FIELD_LIMITS.mitreUrl) reference.url = url;
  return reference;
}

function isAbsoluteUrl(text: string): boolean {
  return /^https?:\/\/[^/\s]+/i.test(text);
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The appliance base URL: configured, or else the origin of an absolute deep link. */
function applianceUrlOf(context: NormalizeContext, url: string | undefined): string | undefined {
  if (context.applianceUrl) return context.applianceUrl.replace(/\/+$/, '');
  if (url && isAbsoluteUrl(url)) {
    const at = url.indexOf('/extrahop/');
    if (at > 0) return url.slice(0, at);
    return originOf(url);
  }
  return undefined;
}

/**
 * The deep link people are sent to. With an appliance configured, a payload URL is used only when it
 * points at that appliance (same origin): anything else in the payload could send readers anywhere,
 * so the link is built from the configuration instead.
 */
function detectionLink(
  r: RestDetection,
  context: NormalizeContext,
  applianceUrl: string | undefined,
): string | undefined {
  const payload = r.url === undefined ? undefined : oneLine(r.url);
  if (payload !== undefined && payload.length <= FIELD_LIMITS.url) {
    const resolved = resolveApplianceLink(payload, applianceUrl);
    const trusted =
      !context.applianceUrl || (applianceUrl !== undefined && originOf(resolved) === originOf(applianceUrl));
    if (isAbsoluteUrl(resolved) && trusted && !/\s/.test(resolved)) return resolved;
  }
  return applianceUrl === undefined ? undefined : detectionUrl(applianceUrl, r.id);
}

function toDetection(r: RestDetection, context: NormalizeContext): Detection {
  const modTime = r.mod_time ?? r.update_time;
  if (modTime === undefined) throw new InvalidDetection(`mod_time: expected ${TIME} (or update_time)`);
  const applianceUrl = applianceUrlOf(context, r.url === undefined ? undefined : oneLine(r.url));
  const url = detectionLink(r, context, applianceUrl);
  const type = requiredLine(r.type, FIELD_LIMITS.type);

  const d: Detection = {
    id: r.id,
    type,
    title: r.title === undefined ? type : line(r.title, FIELD_LIMITS.title),
    description: r.description === undefined ? '' : multiline(r.description),
    categories: r.categories.map((c) => line(c, FIELD_LIMITS.category)),
    riskScore: r.risk_score,
    severity: severityOf(r.risk_score),
    startTime: r.start_time,
    updateTime: r.update_time ?? modTime,
    modTime,
    status: r.status,
    participants: r.participants.map(toParticipant),
    mitreTactics: r.mitre_tactics.map(toMitre),
    mitreTechniques: r.mitre_techniques.map(toMitre),
    source: 'extrahop',
  };
  if (r.end_time !== undefined) d.endTime = r.end_time;
  if (r.create_time !== undefined) d.createTime = r.create_time;
  if (r.resolution !== undefined) d.resolution = line(r.resolution, FIELD_LIMITS.resolution);
  if (r.assignee !== undefined) d.assignee = line(r.assignee, FIELD_LIMITS.assignee);
  if (r.ticket_id !== undefined) d.ticketId = line(r.ticket_id, FIELD_LIMITS.ticketId);
  if (url !== undefined) d.url = url;
  if (r.appliance_id !== undefined) d.applianceId = line(r.appliance_id, FIELD_LIMITS.applianceId);
  if (applianceUrl !== undefined) d.applianceUrl = applianceUrl;
  return d;
}

/** Reads one detection (REST snake_case or open-data-stream camelCase) or throws InvalidDetection. */
export function normalizeDetection(raw: unknown, context: NormalizeContext = {}): Detection {
  let parsed: ReturnType<typeof restDetectionSchema.safeParse>;
  try {
    parsed = restDetectionSchema.safeParse(isPlainRecord(raw) ? camelCaseNested(raw) : raw);
  } catch (error) {
    // Exotic inputs (throwing getters, proxies) must still surface as a rejected detection.
    throw new InvalidDetection(
      `(root): expected a detection object (${describeThrown(error).message || 'unreadable'})`,
    );
  }
  if (!parsed.success) throw new InvalidDetection(describeIssues(parsed.error));
  return toDetection(parsed.data, context);
}

/**
 * Reads a delivery: one detection or an array of them. A bad item is reported in `rejected` and never
 * costs the good ones; only a body that is neither an object nor an array throws.
 */
export function normalizeDetections(body: unknown, context: NormalizeContext = {}): NormalizedBatch {
  const items = Array.isArray(body) ? body : isPlainRecord(body) ? [body] : undefined;
  if (items === undefined)
    throw new InvalidDetection('(root): expected a detection object or an array of detection objects');
  const detections: Detection[] = [];
  const rejected: RejectedDetection[] = [];
  items.forEach((item, index) => {
    try {
      detections.push(normalizeDetection(item, context));
    } catch (error) {
      if (!(error instanceof InvalidDetection)) throw error;
      const id = isPlainRecord(item) ? readIntegerString(item.id) : INVALID;
      rejected.push(id === INVALID ? { index, error: error.message } : { index, id, error: error.message });
    }
  });
  return { detections, rejected };
}
