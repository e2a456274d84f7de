import type { DetectionSearch } from '../detections/ingest/search.ts';
import { describeThrown } from '../thrown.ts';

/**
 * HTTP client of the appliance's REST API (ExtraHop RevealX / RevealX 360). Credentials come from a
 * secret read per call through `readSecret` (cached by the secrets adapter); neither they nor the token
 * ever appear in an error message.
 */

export type ApplianceAuth = 'apikey' | 'oauth';

export interface ApplianceClientOptions {
  url: string;
  auth: ApplianceAuth;
  /** The secret's JSON: `{"apiKey": "..."}` or `{"clientId": "...", "clientSecret": "..."}`. */
  readSecret: () => Promise<string>;
  /** Names the secret in errors (its ARN), never its value. */
  secretName: string;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The longest Retry-After honoured by waiting; a longer one stops the call with ApplianceRateLimited. */
  maxRetryAfterMs?: number;
  /** Milliseconds left for the whole invocation: a wait that would not fit stops instead. */
  remainingMs?: () => number;
  /** Per request. */
  timeoutMs?: number;
}

export class ApplianceError extends Error {
  override name = 'ApplianceError';
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** The appliance asked to wait longer than this invocation can: nothing after this call may count as done. */
export class ApplianceRateLimited extends Error {
  override name = 'ApplianceRateLimited';
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number) {
    super(`the appliance is rate limiting (Retry-After ${Math.ceil(retryAfterMs / 1000)} s)`);
    this.retryAfterMs = retryAfterMs;
  }
}

const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;
const RATE_LIMITED_ATTEMPTS = 3;
/** Time kept in reserve after a wait, for the page itself and committing the cursor. */
const RESERVE_MS = 5_000;
/** A token is dropped this long before its expiry so that it never expires mid-request. */
const TOKEN_EARLY_MS = 60_000;

interface Token {
  value: string;
  expiresAt: number;
}

/** Tokens per appliance and client id, per container: RevealX 360 tokens last an hour. */
const tokens = new Map<string, Token>();

export function forgetTokens(): void {
  tokens.clear();
}

/** Retry-After in seconds or as an HTTP date; absent or unreadable: one second. */
export function retryAfterMs(header: string | null, now: number): number {
  if (header === null || header.trim() === '') return 1000;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : 1000;
}

function readCredentials(
  text: string,
  auth: ApplianceAuth,
  secretName: string,
): { apiKey: string } | { clientId: string; clientSecret: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApplianceError(`${secretName}: expected a JSON secret`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (auth === 'apikey') {
    if (typeof record.apiKey !== 'string' || record.apiKey === '')
      throw new ApplianceError(`${secretName}: expected {"apiKey": "..."} for auth apikey`);
    return { apiKey: record.apiKey };
  }
  if (
    typeof record.clientId !== 'string' ||
    record.clientId === '' ||
    typeof record.clientSecret !== 'string' ||
    record.clientSecret === ''
  ) {
    throw new ApplianceError(`${secretName}: expected {"clientId": "...", "clientSecret": "..."} for auth oauth`);
  }
  return { clientId: record.clientId, clientSecret: record.clientSecret };
}

export interface ApplianceClient {
  /** One page of detections, as the appliance sent them (validated to be an array, nothing more). */
  searchDetections(search: DetectionSearch): Promise<unknown[]>;
}

export function createApplianceClient(options: ApplianceClientOptions): ApplianceClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const timeoutMs = options.timeoutMs ?? 20_000;

  async function request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // The URL is configuration, not a secret; the request (with its headers) is never part of the message.
      throw new ApplianceError(
        `${base}${path}: request failed (${describeThrown(error).name}: ${describeThrown(error).message})`,
      );
    }
  }

  async function fetchToken(clientId: string, clientSecret: string): Promise<string> {
    const key = `${base}\n${clientId}`;
    const cached = tokens.get(key);
    if (cached && cached.expiresAt > now()) return cached.value;
    const response = await request('/oauth2/token', {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new ApplianceError(
        `${base}/oauth2/token: HTTP ${response.status} (check the client id and secret in ${options.secretName})`,
        response.status,
      );
    }
    const body = (await response.json().catch(() => undefined)) as
      { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== 'string' || body.access_token === '')
      throw new ApplianceError(`${base}/oauth2/token: the answer has no access_token`);
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000;
    tokens.set(key, {
      value: body.access_token,
      expiresAt: now() + Math.max(0, lifetimeMs - Math.min(TOKEN_EARLY_MS, lifetimeMs / 2)),
    });
    return body.access_token;
  }

  async function authorization(refresh: boolean): Promise<string> {
    const credentials = readCredentials(await options.readSecret(), options.auth, options.secretName);
    if ('apiKey' in credentials) return `ExtraHop apikey=${credentials.apiKey}`;
    if (refresh) tokens.delete(`${base}\n${credentials.clientId}`);
    return `Bearer ${await fetchToken(credentials.clientId, credentials.clientSecret)}`;
  }

  async function searchDetections(search: DetectionSearch): Promise<unknown[]> {
    let refreshed = false;
    let rateLimited = 0;
    for (;;) {
      const response = await request('/api/v1/detections/search', {
        method: 'POST',
        headers: {
          authorization: await authorization(refreshed),
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(search),
      });
      if (response.status === 401 && options.auth === 'oauth' && !refreshed) {
        // The cached token may have been revoked or expired early: one fresh token, once.
        await response.body?.cancel();
        refreshed = true;
        continue;
      }
      if (response.status === 429) {
        await response.body?.cancel();
        const wait = retryAfterMs(response.headers.get('retry-after'), now());
        const remaining = options.remainingMs?.() ?? Number.POSITIVE_INFINITY;
        rateLimited += 1;
        if (wait > maxRetryAfterMs || wait + RESERVE_MS > remaining || rateLimited >= RATE_LIMITED_ATTEMPTS)
          throw new ApplianceRateLimited(wait);
        await sleep(wait);
        continue;
      }
      if (!response.ok) {
        const text = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
        const hint =
          response.status === 401 || response.status === 403 ? ` (check the credentials in ${options.secretName})` : '';
        throw new ApplianceError(
          `${base}/api/v1/detections/search: HTTP ${response.status}${hint}${text ? `: ${text}` : ''}`,
          response.status,
        );
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ApplianceError(`${base}/api/v1/detections/search: the answer is not JSON`);
      }
      if (!Array.isArray(body)) {
        const shape =
          body === null
            ? 'null'
            : typeof body === 'object'
              ? `an object with keys ${Object.keys(body).slice(0, 5).join(', ') || '(none)'}`
              : typeof body;
        throw new ApplianceError(`${base}/api/v1/detections/search: expected a JSON array of detections, got ${shape}`);
      }
      return body as unknown[];
    }
  }

  return { searchDetections };
}
