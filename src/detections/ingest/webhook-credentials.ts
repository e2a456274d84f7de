import type { WebhookCredential } from '../webhook-auth.ts';

/**
 * The webhook secret: JSON `{"token": "..."}` (bearer), `{"hmacSecret": "..."}` (signed requests), or
 * both; `tokens` / `hmacSecrets` lists allow a rotation without downtime. Anything else is one token,
 * read as the text it is: a random token of digits parses as a JSON number, and must stay a token.
 */
export function webhookCredentials(secret: string): WebhookCredential[] {
  const text = secret.trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [{ kind: 'token', token: text }];
  }
  if (typeof value === 'string') return [{ kind: 'token', token: value }];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ kind: 'token', token: text }];
  const record = value as Record<string, unknown>;
  const strings = (single: unknown, many: unknown): string[] =>
    [single, ...(Array.isArray(many) ? (many as unknown[]) : [])].filter(
      (s): s is string => typeof s === 'string' && s !== '',
    );
  return [
    ...strings(record.token, record.tokens).map((token): WebhookCredential => ({ kind: 'token', token })),
    ...strings(record.hmacSecret, record.hmacSecrets).map((secret): WebhookCredential => ({ kind: 'hmac', secret })),
  ];
}
