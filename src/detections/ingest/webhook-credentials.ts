import type { WebhookCredential } from '../webhook-auth.ts';

/**
 * The webhook secret: JSON `{"token": "..."}` (bearer), `{"hmacSecret": "..."}` (signed requests), or
 * both; `tokens` / `hmacSecrets` lists allow a rotation without downtime. A plain string is one token.
 */
export function webhookCredentials(secret: string): WebhookCredential[] {
  let value: unknown;
  try {
    value = JSON.parse(secret);
  } catch {
    return [{ kind: 'token', token: secret.trim() }];
  }
  if (typeof value === 'string') return [{ kind: 'token', token: value }];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const record = value as Record<string, unknown>;
  const strings = (single: unknown, many: unknown): string[] =>
    [single, ...(Array.isArray(many) ? many : [])].filter((s): s is string => typeof s === 'string' && s !== '');
  return [
    ...strings(record.token, record.tokens).map((token): WebhookCredential => ({ kind: 'token', token })),
    ...strings(record.hmacSecret, record.hmacSecrets).map((secret): WebhookCredential => ({ kind: 'hmac', secret })),
  ];
}
