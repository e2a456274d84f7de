import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { getSecretString } from '../src/aws/secrets.ts';
import { sendMessages } from '../src/aws/sqs.ts';
import { ENV, detectionsConfig, requiredVariable } from '../src/detections/ingest/environment.ts';
import { replayKey } from '../src/detections/ingest/keys.ts';
import { webhookCredentials } from '../src/detections/ingest/webhook-credentials.ts';
import { InvalidDetection, normalizeDetections } from '../src/detections/normalize.ts';
import { DEFAULT_MAX_BODY_BYTES, parseWebhookBody, verifyWebhookRequest } from '../src/detections/webhook-auth.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';

/**
 * Lambda function URL for detections pushed by the appliance. Verified before anything is read,
 * enqueued raw to the detections queue (the processor decides), answered 202 with what was accepted.
 * Neither the secret nor the request's credentials are ever logged.
 */

const eventSchema = z.object({
  headers: z.nullish(z.record(z.string(), z.optional(z.string()))),
  body: z.nullish(z.string()),
  isBase64Encoded: z.nullish(z.boolean()),
  requestContext: z.optional(z.looseObject({ http: z.optional(z.object({ method: z.optional(z.string()) })) })),
});

function answer(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

export const handler = lambdaHandler<unknown, APIGatewayProxyStructuredResultV2>(async (event) => {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return answer(400, { error: 'not a function URL request' });
  const method = parsed.data.requestContext?.http?.method;
  if (method !== undefined && method.toUpperCase() !== 'POST') return answer(405, { error: `method ${method} not allowed (expected POST)` });
  const config = detectionsConfig();
  const secretArn = config.webhook.secretArn;
  if (!config.enabled || !config.webhook.enabled || !secretArn) return answer(404, { error: 'the detections webhook is not enabled' });

  const headers = parsed.data.headers ?? {};
  const body = parsed.data.body ?? '';
  const base64 = parsed.data.isBase64Encoded === true;
  // Size first: an oversized body is refused before it is hashed or decoded.
  const approximateBytes = base64 ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
  if (approximateBytes > DEFAULT_MAX_BODY_BYTES + 2) return answer(413, { error: `body of about ${approximateBytes} bytes exceeds the limit of ${DEFAULT_MAX_BODY_BYTES} bytes` });

  const now = Date.now();
  const raw = base64 ? Buffer.from(body, 'base64').toString('utf8') : body;
  const verdict = verifyWebhookRequest({ headers, body: raw }, webhookCredentials(await getSecretString(secretArn)), { now });
  if (!verdict.ok) {
    logger.warn('webhook request refused', { reason: verdict.reason });
    return answer(401, { error: verdict.reason });
  }
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const queueUrl = requiredVariable(ENV.queueUrl, 'the detections queue URL');
  if (verdict.replayKey !== undefined) {
    const expires = Math.ceil((verdict.replayKeyExpiresAt ?? now) / 1000);
    if (!(await table.recordOnce(replayKey(verdict.replayKey), expires, now))) {
      logger.warn('webhook request refused', { reason: 'replayed request' });
      return answer(401, { error: 'replayed request (signature already accepted)' });
    }
  }

  const read = parseWebhookBody(body, headerOf(headers, 'content-length'), { isBase64Encoded: base64 });
  if (!read.ok) return answer(read.status, { error: read.reason });
  let batch: ReturnType<typeof normalizeDetections>;
  try {
    batch = normalizeDetections(read.value, config.appliance ? { applianceUrl: config.appliance.url } : {});
  } catch (error) {
    if (error instanceof InvalidDetection) return answer(400, { error: error.message });
    throw error;
  }
  const items = Array.isArray(read.value) ? read.value : [read.value];
  const rejectedIndexes = new Set(batch.rejected.map((r) => r.index));
  const accepted = items.filter((_, index) => !rejectedIndexes.has(index));
  if (accepted.length > 0) {
    try {
      await sendMessages(queueUrl, accepted.map((item) => JSON.stringify(item)));
    } catch (error) {
      // The sender retries on 5xx; anything enqueued already is deduplicated downstream.
      if (verdict.replayKey !== undefined) await table.forget(replayKey(verdict.replayKey)).catch(() => undefined);
      logger.error('could not enqueue pushed detections', { errorName: (error as Error).name, errorMessage: (error as Error).message });
      return answer(503, { error: 'could not enqueue the detections; retry later' });
    }
  }
  if (batch.rejected.length > 0) logger.warn('pushed detections rejected', { rejected: batch.rejected });
  logger.info('pushed detections accepted', { accepted: accepted.length, rejected: batch.rejected.length, credential: verdict.credential });
  return answer(202, { accepted: accepted.length, rejected: batch.rejected });
});
