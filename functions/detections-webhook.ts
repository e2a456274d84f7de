import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { DetectionTable } from '../src/aws/dynamodb.ts';
import { getSecretString } from '../src/aws/secrets.ts';
import { SQS_MAX_BATCH_BYTES, sendMessages } from '../src/aws/sqs.ts';
import { ENV, detectionsConfig } from '../src/detections/ingest/environment.ts';
import { requiredVariable } from '../src/config/environment.ts';
import { replayKey } from '../src/detections/ingest/keys.ts';
import { webhookCredentials } from '../src/detections/ingest/webhook-credentials.ts';
import {
  DEFAULT_MAX_BODY_BYTES,
  parseWebhookBody,
  readPushedDetections,
  verifyWebhookRequest,
} from '../src/detections/webhook-auth.ts';
import { lambdaHandler } from '../src/lambda/handler.ts';
import { logger } from '../src/lambda/logger.ts';
import { publishMetrics } from '../src/lambda/metrics.ts';
import { webhookMetrics } from '../src/detections/metrics.ts';
import { describeThrown } from '../src/thrown.ts';

/**
 * Lambda function URL for detections pushed by the appliance. Verified before anything is read,
 * enqueued raw to the detections queue (the processor decides), answered 202 with what was accepted.
 * Neither the secret nor the request's credentials are ever logged, and no answer echoes what the
 * request sent before it was verified: every refusal is the same 401 (the reason is only logged).
 */

const eventSchema = z.object({
  headers: z.nullish(z.record(z.string(), z.optional(z.string()))),
  body: z.nullish(z.string()),
  isBase64Encoded: z.nullish(z.boolean()),
  requestContext: z.optional(z.looseObject({ http: z.optional(z.object({ method: z.optional(z.string()) })) })),
});

function answer(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** One answer for every refusal: which check failed, or which methods are configured, helps only a guesser. */
const UNAUTHORIZED = () => answer(401, { error: 'unauthorized' });

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

export const handler = lambdaHandler<unknown, APIGatewayProxyStructuredResultV2>(async (event) => {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return answer(400, { error: 'not a function URL request' });
  const method = parsed.data.requestContext?.http?.method;
  if (method !== undefined && method.toUpperCase() !== 'POST')
    return answer(405, { error: 'method not allowed (expected POST)' }, { allow: 'POST' });
  const config = detectionsConfig();
  const secretArn = config.webhook.secretArn;
  if (!config.enabled || !config.webhook.enabled || !secretArn)
    return answer(404, { error: 'the detections webhook is not enabled' });

  const headers = parsed.data.headers ?? {};
  const body = parsed.data.body ?? '';
  const base64 = parsed.data.isBase64Encoded === true;
  // Size first: an oversized body is refused before it is hashed or decoded.
  const approximateBytes = base64 ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
  if (approximateBytes > DEFAULT_MAX_BODY_BYTES + 2)
    return answer(413, {
      error: `body of about ${approximateBytes} bytes exceeds the limit of ${DEFAULT_MAX_BODY_BYTES} bytes`,
    });

  const now = Date.now();
  const raw = base64 ? Buffer.from(body, 'base64').toString('utf8') : body;
  const verdict = verifyWebhookRequest({ headers, body: raw }, webhookCredentials(await getSecretString(secretArn)), {
    now,
  });
  if (!verdict.ok) {
    logger.warn('webhook request refused', { reason: verdict.reason });
    return UNAUTHORIZED();
  }
  const table = new DetectionTable(requiredVariable(ENV.table, 'the detections table name'));
  const queueUrl = requiredVariable(ENV.queueUrl, 'the detections queue URL');
  const replay =
    verdict.replayKey === undefined
      ? undefined
      : { key: replayKey(verdict.replayKey), expires: Math.ceil((verdict.replayKeyExpiresAt ?? now) / 1000) };
  if (replay && (await table.holds(replay.key, now))) {
    logger.warn('webhook request refused', { reason: 'replayed request (signature already accepted)' });
    return UNAUTHORIZED();
  }

  const read = parseWebhookBody(body, headerOf(headers, 'content-length'), { isBase64Encoded: base64 });
  if (!read.ok) return answer(read.status, { error: read.reason });
  const pushed = readPushedDetections(
    read.value,
    config.appliance ? { applianceUrl: config.appliance.url } : {},
    SQS_MAX_BATCH_BYTES,
  );
  if (!pushed.ok) return answer(pushed.status, { error: pushed.reason });
  if (pushed.bodies.length > 0) {
    try {
      await sendMessages(queueUrl, pushed.bodies);
    } catch (error) {
      // The sender retries on 5xx; anything enqueued already is deduplicated downstream.
      logger.error('could not enqueue pushed detections', {
        errorName: describeThrown(error).name,
        errorMessage: describeThrown(error).message,
      });
      return answer(503, { error: 'could not enqueue the detections; retry later' });
    }
  }
  // Recorded only once queued: a crash or timeout before this point leaves the signature unused, so
  // the sender's retry of the same request is accepted (a second copy is deduplicated downstream).
  if (replay) {
    try {
      await table.recordOnce(replay.key, replay.expires, now);
    } catch (error) {
      // Queued already: answering 5xx would only make the sender push the same detections again.
      logger.warn('could not record the accepted signature; it may be replayed until its timestamp expires', {
        errorName: describeThrown(error).name,
      });
    }
  }
  if (pushed.rejected.length > 0) logger.warn('pushed detections rejected', { rejected: pushed.rejected });
  const accepted = pushed.bodies.length;
  publishMetrics(webhookMetrics(accepted));
  logger.info('pushed detections accepted', {
    accepted,
    rejected: pushed.rejected.length,
    credential: verdict.credential,
  });
  return answer(202, { accepted, rejected: pushed.rejected });
});
