import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidDetection, normalizeDetections, type NormalizeContext, type RejectedDetection } from './normalize.ts';
import { describeThrown } from '../thrown.ts';

/**
 * Verification of a detection pushed to autotap's HTTPS endpoint. ExtraHop notification-rule webhooks
 * can send a static header (bearer token); a sender that can compute one may sign instead:
 * `X-Autotap-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with `X-Autotap-Timestamp`
 * in Unix seconds, which also bounds replays.
 */

export type WebhookCredential = { kind: 'token'; token: string } | { kind: 'hmac'; secret: string };

export interface WebhookRequest {
  /** Header names in any case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, exactly as received (the signature covers these bytes). */
  body: string;
}

export interface VerifyOptions {
  /** The caller's clock, epoch ms. */
  now: number;
  /** Accepted distance between the signed timestamp and now, either way. */
  toleranceMs?: number;
  /** Whether a signature was already accepted (the caller keeps them until replayKeyExpiresAt). */
  seen?: (replayKey: string) => boolean;
}

export type WebhookVerdict =
  | { ok: true; credential: WebhookCredential['kind']; replayKey?: string; replayKeyExpiresAt?: number }
  | { ok: false; status: 401; reason: string };

export const SIGNATURE_HEADER = 'x-autotap-signature';
export const TIMESTAMP_HEADER = 'x-autotap-timestamp';
export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name && value !== undefined) return value.trim();
  return undefined;
}

/** Equal-length digests make the comparison constant-time whatever the inputs' lengths. */
function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function signWebhookBody(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex')}`;
}

/** Ok when any credential accepts the request (several allow rotation without downtime). */
export function verifyWebhookRequest(
  request: WebhookRequest,
  credentials: WebhookCredential | readonly WebhookCredential[],
  options: VerifyOptions,
): WebhookVerdict {
  const list: readonly WebhookCredential[] = Array.isArray(credentials)
    ? (credentials as readonly WebhookCredential[])
    : [credentials as WebhookCredential];
  const tokens = list.filter(
    (c): c is Extract<WebhookCredential, { kind: 'token' }> => c.kind === 'token' && c.token !== '',
  );
  const secrets = list.filter(
    (c): c is Extract<WebhookCredential, { kind: 'hmac' }> => c.kind === 'hmac' && c.secret !== '',
  );
  const deny = (reason: string): WebhookVerdict => ({ ok: false, status: 401, reason });

  const signature = header(request.headers, SIGNATURE_HEADER);
  if (signature !== undefined && secrets.length > 0) {
    if (!/^sha256=[0-9a-f]{64}$/i.test(signature)) return deny('malformed signature (expected sha256=<64 hex digits>)');
    const stamp = header(request.headers, TIMESTAMP_HEADER);
    if (stamp === undefined || !/^\d{1,13}$/.test(stamp))
      return deny(`missing or malformed ${TIMESTAMP_HEADER} (expected Unix seconds)`);
    const seconds = Number(stamp);
    const tolerance = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
    if (Math.abs(options.now - seconds * 1000) > tolerance)
      return deny(`stale timestamp (more than ${Math.round(tolerance / 1000)} s from now)`);
    const given = signature.toLowerCase();
    const valid = secrets.some((c) => sameSecret(signWebhookBody(c.secret, seconds, request.body), given));
    if (!valid) return deny('bad signature');
    if (options.seen?.(given)) return deny('replayed request (signature already accepted)');
    return { ok: true, credential: 'hmac', replayKey: given, replayKeyExpiresAt: seconds * 1000 + tolerance };
  }

  const authorization = header(request.headers, 'authorization');
  if (authorization !== undefined && tokens.length > 0) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) return deny('malformed Authorization header (expected Bearer <token>)');
    const given = match[1]!;
    // Every token is compared, so the time taken says nothing about which one nearly matched.
    const valid = tokens.map((c) => sameSecret(c.token, given)).some(Boolean);
    return valid ? { ok: true, credential: 'token' } : deny('wrong token');
  }

  if (list.length === 0 || (tokens.length === 0 && secrets.length === 0))
    return deny('no webhook credential configured');
  return deny(
    secrets.length > 0 && tokens.length === 0
      ? `missing ${SIGNATURE_HEADER}`
      : 'missing credentials (expected Authorization: Bearer <token>)',
  );
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type ParsedWebhookBody =
  { ok: true; value: unknown; bytes: number } | { ok: false; status: 400 | 413; reason: string };

/**
 * Size limit (413) before anything is parsed, then JSON (400). `contentLength` is the declared header;
 * the actual size is checked as well since a declared length can lie.
 */
export function parseWebhookBody(
  body: string | Uint8Array | undefined | null,
  contentLength: string | number | undefined,
  options: { maxBytes?: number; isBase64Encoded?: boolean } = {},
): ParsedWebhookBody {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tooLarge = (bytes: number): ParsedWebhookBody => ({
    ok: false,
    status: 413,
    reason: `body of ${bytes} bytes exceeds the limit of ${maxBytes} bytes`,
  });
  const declared =
    typeof contentLength === 'number'
      ? contentLength
      : contentLength !== undefined && /^\s*\d+\s*$/.test(contentLength)
        ? Number(contentLength)
        : undefined;
  if (declared !== undefined && declared > maxBytes) return tooLarge(declared);
  if (body === undefined || body === null || body.length === 0)
    return { ok: false, status: 400, reason: 'empty body (expected a JSON detection or an array of detections)' };
  // Base64 is 4/3 of the bytes it encodes: reject before decoding what cannot fit.
  if (options.isBase64Encoded && typeof body === 'string' && Math.floor((body.length * 3) / 4) > maxBytes + 2)
    return tooLarge(Math.floor((body.length * 3) / 4));
  const bytes =
    typeof body === 'string'
      ? options.isBase64Encoded
        ? Buffer.from(body, 'base64')
        : Buffer.from(body, 'utf8')
      : Buffer.from(body);
  if (bytes.length > maxBytes) return tooLarge(bytes.length);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, reason: 'body is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text), bytes: bytes.length };
  } catch (error) {
    // The parser's message quotes the body: only where it stopped is told back.
    const position = /position (\d+)/.exec(describeThrown(error).message)?.[1];
    return {
      ok: false,
      status: 400,
      reason: `body is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`,
    };
  }
}

export type PushedDetections =
  | {
      ok: true;
      /** The accepted detections, raw, one queue message body each. */ bodies: string[];
      rejected: RejectedDetection[];
    }
  | { ok: false; status: 400; reason: string };

/**
 * What of a pushed body can be queued: the detections that normalize, each as it was sent. Every
 * failure here is the body's, so it is a 400 that no retry can change, never a 5xx: a body nested
 * too deeply for the stack (JSON.parse reads it; normalizing or serializing it overflows) included.
 */
export function readPushedDetections(
  value: unknown,
  context: NormalizeContext = {},
  maxMessageBytes = Infinity,
): PushedDetections {
  try {
    const batch = normalizeDetections(value, context);
    const items = Array.isArray(value) ? value : [value];
    const invalid = new Set(batch.rejected.map((r) => r.index));
    const rejected = [...batch.rejected];
    const bodies: string[] = [];
    let accepted = 0;
    items.forEach((item, index) => {
      if (invalid.has(index)) return;
      const detection = batch.detections[accepted++]!;
      // Serialized again, a detection can outgrow the body it came in (1e20 is 21 digits): one the
      // queue cannot take is rejected by itself, instead of failing the whole request for good.
      const body = JSON.stringify(item);
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > maxMessageBytes)
        rejected.push({
          index,
          id: detection.id,
          error: `detection of ${bytes} bytes exceeds the queue's limit of ${maxMessageBytes} bytes`,
        });
      else bodies.push(body);
    });
    rejected.sort((a, b) => a.index - b.index);
    return { ok: true, bodies, rejected };
  } catch (error) {
    if (error instanceof InvalidDetection) return { ok: false, status: 400, reason: error.message };
    if (error instanceof RangeError)
      return {
        ok: false,
        status: 400,
        reason: 'body nested too deeply to read (expected a detection object or an array of them)',
      };
    throw error;
  }
}
