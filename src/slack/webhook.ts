/**
 * A Slack incoming webhook. Its URL is the credential: it is read here and used for the request,
 * and nothing this module returns or throws contains it.
 */
import type { SlackPostResult } from '../detections/slack-delivery.ts';
import { describeThrown } from '../thrown.ts';

export class InvalidWebhookSecret extends Error {
  override name = 'InvalidWebhookSecret';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The secret holds the plain URL or JSON `{"webhookUrl": "..."}`. HTTPS only, except on the loopback
 * interface where local runs put their stand-in. Errors describe the shape, never the value.
 */
export function readWebhookSecret(secret: string): string {
  const text = secret.trim();
  let candidate: unknown = text;
  if (text.startsWith('{')) {
    try {
      candidate = (JSON.parse(text) as { webhookUrl?: unknown }).webhookUrl;
    } catch {
      throw new InvalidWebhookSecret(
        'the Slack secret looks like JSON but does not parse (expected {"webhookUrl": "https://hooks.slack.com/..."})',
      );
    }
  }
  if (typeof candidate !== 'string' || candidate === '') {
    throw new InvalidWebhookSecret(
      'the Slack secret has no webhook URL (expected the URL, or JSON {"webhookUrl": "https://hooks.slack.com/..."})',
    );
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new InvalidWebhookSecret('the Slack secret is not a URL (expected https://hooks.slack.com/...)');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new InvalidWebhookSecret(`the Slack webhook URL must use https (it uses ${url.protocol.replace(':', '')})`);
  }
  return url.href;
}

/** Replaces the URL, and its secret path on its own, wherever a text might echo it. */
export function redactWebhookUrl(text: string, webhookUrl: string): string {
  let out = text.split(webhookUrl).join('[webhook URL]');
  try {
    const path = new URL(webhookUrl).pathname;
    if (path.length > 1) out = out.split(path).join('[webhook path]');
  } catch {
    // Not a URL: nothing more to hide than the text itself.
  }
  return out;
}

const NEEDS_HUMAN_STATUSES = new Set([401, 403, 404, 410]);
const MAX_ERROR_LENGTH = 200;

/** Slack answers errors with a short plain-text code such as `channel_not_found`. */
export function classifySlackResponse(status: number, body: string, retryAfter: string | null): SlackPostResult {
  const error = body.trim().slice(0, MAX_ERROR_LENGTH) || `HTTP ${status}`;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 429)
    return retryAfter === null ? { kind: 'rate-limited', status } : { kind: 'rate-limited', status, retryAfter };
  if (NEEDS_HUMAN_STATUSES.has(status)) return { kind: 'needs-human', status, error };
  if (status === 400 || status === 413) return { kind: 'rejected-payload', status, error };
  return { kind: 'transient', status, error };
}

export interface WebhookOptions {
  fetch?: typeof fetch;
  /** Slack normally answers within a second; a stuck connection must not eat the invocation. */
  timeoutMs?: number;
}

export async function postToWebhook(
  webhookUrl: string,
  payload: unknown,
  options: WebhookOptions = {},
): Promise<SlackPostResult> {
  const send = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await send(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    // fetch's messages and causes can carry the URL: only the error's kind and code are kept.
    const cause: unknown = error instanceof Error ? error.cause : undefined;
    const code =
      cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string' ? ` ${cause.code}` : '';
    return { kind: 'transient', status: 0, error: `request failed (${describeThrown(error).name}${code})` };
  }
  let body = '';
  try {
    body = await response.text();
  } catch {
    // The status alone decides; the body only explains.
  }
  return classifySlackResponse(
    response.status,
    redactWebhookUrl(body, webhookUrl),
    response.headers.get('retry-after'),
  );
}

/**
 * Lends `use` a poster to the webhook the secret names. The URL never leaves this module: whatever
 * `use` throws (its message and stack) has it and its secret path replaced before it is rethrown.
 */
export async function withWebhook<T>(
  secret: string,
  use: (post: (payload: unknown) => Promise<SlackPostResult>) => Promise<T>,
  options: WebhookOptions = {},
): Promise<T> {
  const webhookUrl = readWebhookSecret(secret);
  try {
    return await use((payload) => postToWebhook(webhookUrl, payload, options));
  } catch (error) {
    if (error instanceof Error) {
      error.message = redactWebhookUrl(error.message, webhookUrl);
      if (typeof error.stack === 'string') error.stack = redactWebhookUrl(error.stack, webhookUrl);
    }
    throw error;
  }
}
