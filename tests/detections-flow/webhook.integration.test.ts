import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { handler as pollHandler } from '../../functions/detections-poll.ts';
import { handler as webhookHandler } from '../../functions/detections-webhook.ts';
import { signWebhookBody } from '../../src/detections/webhook-auth.ts';
import { rawDetection } from './appliance-server.ts';
import {
  WEBHOOK_HMAC,
  WEBHOOK_SECRET_ARN,
  WEBHOOK_TOKEN,
  captureOutput,
  lambdaContext,
  startFlow,
  type Flow,
} from './fixture.ts';

let flow: Flow | undefined;
afterEach(async () => {
  await flow?.close();
  flow = undefined;
});

function request(
  body: string,
  headers: Record<string, string> = {},
  extra: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: {
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'ExtraHop' },
    } as never,
    body,
    isBase64Encoded: false,
    ...extra,
  };
}

const bearer = { authorization: `Bearer ${WEBHOOK_TOKEN}` };
const call = async (event: unknown) => {
  const out = await webhookHandler(event, lambdaContext('detections-webhook'));
  return { status: out.statusCode, body: JSON.parse(String(out.body)) as Record<string, unknown> };
};
const queued = (f: Flow) =>
  f.emulator.queueMessages('autotap-detections').map((m) => JSON.parse(m.body) as { id: number });

function signed(body: string, secondsAgo = 0): Record<string, string> {
  const stamp = Math.floor(Date.now() / 1000) - secondsAgo;
  return { 'x-autotap-timestamp': String(stamp), 'x-autotap-signature': signWebhookBody(WEBHOOK_HMAC, stamp, body) };
}

describe('detections webhook', () => {
  test('a good token: 202 with counts, valid detections enqueued raw, invalid ones named', async () => {
    flow = await startFlow();
    const body = JSON.stringify([rawDetection(1, 1_000), { id: 2, type: 'x' }, rawDetection(3, 1_000)]);
    const { status, body: answer } = await call(request(body, bearer));
    expect(status).toBe(202);
    expect(answer.accepted).toBe(2);
    expect(answer.rejected).toEqual([
      expect.objectContaining({ index: 1, id: '2', error: expect.stringContaining('risk_score') }),
    ]);
    expect(queued(flow).map((d) => d.id)).toEqual([1, 3]);
  });

  test('every refusal is the same 401: it names neither the reason nor the auth methods configured; the log keeps the reason', async () => {
    flow = await startFlow();
    const body = JSON.stringify(rawDetection(1, 1_000));
    const refusals: [Record<string, string>, string][] = [
      [{ authorization: 'Bearer nope' }, 'wrong token'],
      [{}, 'missing'],
      [{ authorization: `Basic ${WEBHOOK_TOKEN}` }, 'malformed Authorization header'],
      [{ 'x-autotap-signature': 'sha256=00' }, 'malformed signature'],
      [{ ...signed(body), 'x-autotap-timestamp': '1' }, 'stale timestamp'],
      [signed('{"other": true}'), 'bad signature'],
    ];
    const { output } = await captureOutput(async () => {
      for (const [headers] of refusals) {
        const answer = await call(request(body, headers));
        expect(answer).toEqual({ status: 401, body: { error: 'unauthorized' } });
      }
    });
    for (const [, reason] of refusals) expect(output).toContain(reason);
    expect(queued(flow)).toEqual([]);
  });

  test("a detection that outgrows the queue's limit once serialized is rejected by itself; the others are queued", async () => {
    flow = await startFlow();
    // 1e20 is 4 bytes as sent and 21 as JavaScript writes it: under 1 MB here, over 1 MiB queued.
    const numbers = `[${Array.from({ length: 180_000 }, () => '1e20').join(',')}]`;
    const grown = JSON.stringify(rawDetection(21, 1_000)).replace(/}$/, `,"properties":{"n":${numbers}}}`);
    const body = `[${JSON.stringify(rawDetection(20, 1_000))},${grown}]`;
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
    const answer = await call(request(body, bearer));
    expect(answer).toEqual({
      status: 202,
      body: {
        accepted: 1,
        rejected: [{ index: 1, id: '21', error: expect.stringContaining("exceeds the queue's limit") }],
      },
    });
    expect(queued(flow).map((d) => d.id)).toEqual([20]);
  });

  test.each([
    ['digits (a JSON number)', '12345678901234567890123456789012'],
    ['true (a JSON literal)', 'true'],
    ['a JSON string', JSON.stringify('quoted-token-value')],
    ['text with spaces around it', '  plain-token-value\n'],
  ])('a plain-string secret of %s is the bearer token, read as a string', async (_name, secret) => {
    flow = await startFlow();
    flow.emulator.putSecret(WEBHOOK_SECRET_ARN, secret);
    const token = secret.trim().replace(/^"(.*)"$/, '$1');
    const body = JSON.stringify(rawDetection(11, 1_000));
    expect((await call(request(body, { authorization: `Bearer ${token}` }))).status).toBe(202);
    expect((await call(request(body, { authorization: 'Bearer 1' }))).status).toBe(401);
  });

  test('405 for another method, without echoing it', async () => {
    flow = await startFlow();
    const method = 'PROPFIND<script>alert(1)</script>';
    const out = await webhookHandler(
      request('{}', bearer, {
        requestContext: {
          http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'x' },
        } as never,
      }),
      lambdaContext('detections-webhook'),
    );
    expect(out.statusCode).toBe(405);
    expect(JSON.stringify(out)).not.toContain('PROPFIND');
    expect(JSON.stringify(out)).not.toContain('script');
    expect(out.headers).toMatchObject({ allow: 'POST' });
  });

  test("a crash between accepting a signed request and queueing it does not refuse the sender's retry", async () => {
    flow = await startFlow();
    // Warm the container: the secret is then cached and only the queue is slow below.
    expect((await call(request(JSON.stringify(rawDetection(7, 1_000)), bearer))).status).toBe(202);
    const body = JSON.stringify(rawDetection(8, 1_000));
    const headers = signed(body);
    flow.emulator.setFaults({ latencyMs: 1_500 });
    // The first delivery is lost while it waits for SQS (a timeout, a crash): the sender sees no answer.
    const lost = call(request(body, headers));
    await new Promise((resolve) => setTimeout(resolve, 500));
    flow.emulator.setFaults({ latencyMs: 0 });
    expect((await call(request(body, headers))).status).toBe(202);
    await lost;
    // Once accepted, the signature still cannot be replayed.
    expect(await call(request(body, headers))).toEqual({ status: 401, body: { error: 'unauthorized' } });
    // The retry and the lost delivery may both have queued it: the processor keeps one.
    expect(queued(flow).filter((d) => d.id === 8).length).toBeGreaterThanOrEqual(1);
  });

  test('permanent errors are 400, not 503: a body nested 200,000 levels deep, and JSON errors without the body echoed', async () => {
    flow = await startFlow();
    const depth = 200_000;
    const nested = JSON.stringify({ ...rawDetection(9, 1_000), properties: {} }).replace(
      '"properties":{}',
      `"properties":${'['.repeat(depth)}${']'.repeat(depth)}`,
    );
    const deep = await call(request(nested, bearer));
    expect(deep.status).toBe(400);
    expect(String(deep.body.error)).toContain('nested');
    const wrapped = await call(request(`${'['.repeat(depth)}${']'.repeat(depth)}`, bearer));
    // An array holding a deep array: read, and its one entry rejected as no detection.
    expect(wrapped).toEqual({ status: 202, body: { accepted: 0, rejected: [expect.objectContaining({ index: 0 })] } });
    const invalid = await call(request('{"secretish": tru', bearer));
    expect(invalid.status).toBe(400);
    expect(String(invalid.body.error)).not.toContain('secretish');
    expect(queued(flow)).toEqual([]);
  });

  test('HMAC: a signed request is accepted once; a replay and a stale timestamp are 401', async () => {
    flow = await startFlow();
    const body = JSON.stringify(rawDetection(1, 1_000));
    const headers = signed(body);
    expect((await call(request(body, headers))).status).toBe(202);
    const replay = await call(request(body, headers));
    expect(replay).toEqual({ status: 401, body: { error: 'unauthorized' } });
    const stale = await call(request(body, signed(body, 600)));
    expect(stale).toEqual({ status: 401, body: { error: 'unauthorized' } });
    const tampered = await call(request(body.replace('1000', '1001'), signed(body)));
    expect(tampered).toEqual({ status: 401, body: { error: 'unauthorized' } });
    expect(queued(flow)).toHaveLength(1);
  });

  test('malformed JSON and wrong shapes are 400 naming the problem; nothing enqueued', async () => {
    flow = await startFlow();
    expect(await call(request('{"id": 1,', bearer))).toEqual({
      status: 400,
      body: { error: expect.stringContaining('not valid JSON') },
    });
    expect(await call(request('42', bearer))).toEqual({
      status: 400,
      body: { error: expect.stringContaining('expected a detection object or an array') },
    });
    expect(await call(request('', bearer))).toEqual({
      status: 400,
      body: { error: expect.stringContaining('empty body') },
    });
    expect(queued(flow)).toEqual([]);
  });

  test('an oversized body is 413 and nothing enqueued', async () => {
    flow = await startFlow();
    const huge = JSON.stringify([{ ...rawDetection(1, 1_000), description: 'x'.repeat(1024 * 1024) }]);
    expect(await call(request(huge, bearer))).toEqual({
      status: 413,
      body: { error: expect.stringContaining('exceeds the limit') },
    });
    const declared = await call(
      request(JSON.stringify(rawDetection(1, 1_000)), { ...bearer, 'content-length': String(50 * 1024 * 1024) }),
    );
    expect(declared.status).toBe(413);
    expect(queued(flow)).toEqual([]);
  });

  test('base64 bodies (as function URLs deliver some) are verified and read decoded', async () => {
    flow = await startFlow();
    const body = JSON.stringify(rawDetection(5, 1_000));
    const event = request(Buffer.from(body).toString('base64'), signed(body), { isBase64Encoded: true });
    expect((await call(event)).status).toBe(202);
    expect(queued(flow).map((d) => d.id)).toEqual([5]);
  });

  test('neither the token, the HMAC secret nor the Authorization header is ever logged', async () => {
    flow = await startFlow();
    const body = JSON.stringify(rawDetection(1, 1_000));
    const { output } = await captureOutput(async () => {
      await call(request(body, bearer));
      await call(request(body, { authorization: `Bearer ${WEBHOOK_TOKEN}x` }));
      await call(request(body, signed(body)));
      await call(request('{', bearer));
    });
    expect(output).toContain('pushed detections accepted');
    expect(output).toContain('webhook request refused');
    for (const secret of [WEBHOOK_TOKEN, WEBHOOK_HMAC, 'authorization', 'x-autotap-signature'])
      expect(output.toLowerCase()).not.toContain(secret.toLowerCase());
  });

  test('fuzzed requests never crash the handler; without the token nothing is enqueued', async () => {
    flow = await startFlow();
    const headers = fc.dictionary(
      fc.constantFrom('authorization', 'x-autotap-signature', 'x-autotap-timestamp', 'content-length', 'x-other'),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.anything().map((v) => JSON.stringify(v) ?? ''),
        ),
        headers,
        fc.boolean(),
        async (body, h, base64) => {
          const { status } = await call(request(body, h, { isBase64Encoded: base64 }));
          expect([400, 401, 413]).toContain(status);
        },
      ),
      { numRuns: 80 },
    );
    expect(queued(flow)).toEqual([]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.anything().map((v) => JSON.stringify(v) ?? ''),
        ),
        async (body) => {
          const { status } = await call(request(body, bearer));
          expect([202, 400, 413]).toContain(status);
        },
      ),
      { numRuns: 80 },
    );
    // Whatever a fuzzed body got enqueued, the processor rejects it without publishing.
    await flow.drain(20);
    expect(flow.published('detections')).toEqual([]);
    expect(flow.published('email')).toEqual([]);
    const shapeless = await call({ headers: 5 });
    expect(shapeless.status).toBe(400);
  });

  test('the same detection by poll and by push at once: one email', async () => {
    flow = await startFlow();
    const detection = rawDetection(99, 4_000, { risk_score: 88 });
    flow.appliance.detections.push(detection);
    const [pushed] = await Promise.all([
      call(request(JSON.stringify(detection), bearer)),
      pollHandler({}, lambdaContext('detections-poll')),
    ]);
    expect(pushed.status).toBe(202);
    expect(queued(flow)).toHaveLength(2);
    const event = await flow.receive(10);
    await Promise.all(event.Records.map((record) => flow!.runProcessor({ Records: [record] })));
    await flow.drain();
    expect(flow.published('email')).toHaveLength(1);
    expect(flow.published('detections')).toHaveLength(1);
  });
});
