import {
  parseWebhookBody,
  signWebhookBody,
  verifyWebhookRequest,
  type WebhookCredential,
} from '../../src/detections/webhook-auth.ts';
import { rawSamples } from './fixtures/samples.ts';

const NOW = 1_800_000_000_000;
const SECONDS = NOW / 1000;
const token: WebhookCredential = { kind: 'token', token: 's3cr3t-token-value' };
const hmac: WebhookCredential = { kind: 'hmac', secret: 'signing-secret' };
const body = JSON.stringify(rawSamples()[0]);

function signed(at: number = SECONDS, text = body, secret = 'signing-secret') {
  return {
    body: text,
    headers: { 'X-Autotap-Timestamp': String(at), 'X-Autotap-Signature': signWebhookBody(secret, at, text) },
  };
}

describe('verifyWebhookRequest: bearer token', () => {
  it('accepts the right token, whatever the header case', () => {
    expect(
      verifyWebhookRequest({ body, headers: { Authorization: 'Bearer s3cr3t-token-value' } }, token, { now: NOW }),
    ).toEqual({ ok: true, credential: 'token' });
    expect(
      verifyWebhookRequest({ body, headers: { authorization: 'bearer s3cr3t-token-value' } }, token, { now: NOW }).ok,
    ).toBe(true);
  });

  it('rejects a wrong token, a prefix of the token and a malformed header', () => {
    expect(verifyWebhookRequest({ body, headers: { authorization: 'Bearer nope' } }, token, { now: NOW })).toEqual({
      ok: false,
      status: 401,
      reason: 'wrong token',
    });
    expect(verifyWebhookRequest({ body, headers: { authorization: 'Bearer s3cr3t' } }, token, { now: NOW }).ok).toBe(
      false,
    );
    expect(
      verifyWebhookRequest({ body, headers: { authorization: 's3cr3t-token-value' } }, token, { now: NOW }),
    ).toMatchObject({ ok: false, reason: /malformed/ });
  });

  it('rejects a request without credentials', () => {
    expect(verifyWebhookRequest({ body, headers: {} }, token, { now: NOW })).toMatchObject({
      ok: false,
      status: 401,
      reason: /missing credentials/,
    });
  });

  it('accepts either of two tokens during rotation', () => {
    const rotating = [token, { kind: 'token', token: 'next-token' } as const];
    expect(
      verifyWebhookRequest({ body, headers: { authorization: 'Bearer next-token' } }, rotating, { now: NOW }).ok,
    ).toBe(true);
  });

  it('never accepts when nothing is configured, not even an empty token', () => {
    expect(verifyWebhookRequest({ body, headers: { authorization: 'Bearer x' } }, [], { now: NOW })).toMatchObject({
      ok: false,
      reason: 'no webhook credential configured',
    });
    expect(
      verifyWebhookRequest({ body, headers: { authorization: 'Bearer ' } }, { kind: 'token', token: '' }, { now: NOW })
        .ok,
    ).toBe(false);
  });
});

describe('verifyWebhookRequest: HMAC signature', () => {
  it('accepts a fresh, correctly signed body and hands back a replay key', () => {
    const request = signed();
    expect(verifyWebhookRequest(request, hmac, { now: NOW })).toEqual({
      ok: true,
      credential: 'hmac',
      replayKey: request.headers['X-Autotap-Signature'],
      replayKeyExpiresAt: NOW + 300_000,
    });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyWebhookRequest(signed(SECONDS, body, 'other'), hmac, { now: NOW })).toEqual({
      ok: false,
      status: 401,
      reason: 'bad signature',
    });
  });

  it('rejects a body changed after signing', () => {
    const request = { ...signed(), body: body.replace('85', '15') };
    expect(verifyWebhookRequest(request, hmac, { now: NOW })).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('rejects a malformed signature and a missing timestamp', () => {
    expect(
      verifyWebhookRequest(
        { body, headers: { 'x-autotap-signature': 'abc', 'x-autotap-timestamp': String(SECONDS) } },
        hmac,
        { now: NOW },
      ),
    ).toMatchObject({ ok: false, reason: /malformed signature/ });
    const { 'X-Autotap-Timestamp': _t, ...noStamp } = signed().headers;
    expect(verifyWebhookRequest({ body, headers: noStamp }, hmac, { now: NOW })).toMatchObject({
      ok: false,
      reason: /x-autotap-timestamp/,
    });
  });

  it('rejects a timestamp outside the 5-minute window, either way', () => {
    expect(verifyWebhookRequest(signed(SECONDS - 301), hmac, { now: NOW })).toMatchObject({
      ok: false,
      reason: /stale timestamp/,
    });
    expect(verifyWebhookRequest(signed(SECONDS + 301), hmac, { now: NOW })).toMatchObject({
      ok: false,
      reason: /stale timestamp/,
    });
    expect(verifyWebhookRequest(signed(SECONDS - 299), hmac, { now: NOW }).ok).toBe(true);
  });

  it('rejects a replayed request', () => {
    const accepted = new Set<string>();
    const request = signed();
    const first = verifyWebhookRequest(request, hmac, { now: NOW, seen: (k) => accepted.has(k) });
    expect(first.ok).toBe(true);
    if (first.ok && first.replayKey) accepted.add(first.replayKey);
    expect(verifyWebhookRequest(request, hmac, { now: NOW + 1000, seen: (k) => accepted.has(k) })).toMatchObject({
      ok: false,
      reason: /replayed/,
    });
  });

  it('asks for the signature when only a signing secret is configured', () => {
    expect(
      verifyWebhookRequest({ body, headers: { authorization: 'Bearer s3cr3t-token-value' } }, hmac, { now: NOW }),
    ).toMatchObject({ ok: false, reason: 'missing x-autotap-signature' });
  });
});

describe('parseWebhookBody', () => {
  it('parses JSON and reports its size', () => {
    expect(parseWebhookBody('[{"id":1}]', '10')).toEqual({ ok: true, value: [{ id: 1 }], bytes: 10 });
  });

  it('413 when the declared length is over the limit, before reading the body', () => {
    expect(parseWebhookBody('{}', String(2 * 1024 * 1024))).toMatchObject({ ok: false, status: 413 });
  });

  it('413 when the actual body is over the limit whatever the header says', () => {
    expect(parseWebhookBody(`"${'x'.repeat(200)}"`, '5', { maxBytes: 100 })).toMatchObject({
      ok: false,
      status: 413,
      reason: 'body of 202 bytes exceeds the limit of 100 bytes',
    });
    expect(
      parseWebhookBody(Buffer.from('x'.repeat(300)).toString('base64'), undefined, {
        maxBytes: 100,
        isBase64Encoded: true,
      }),
    ).toMatchObject({ ok: false, status: 413 });
  });

  it('400 for an empty body, invalid JSON or invalid UTF-8', () => {
    expect(parseWebhookBody('', '0')).toMatchObject({ ok: false, status: 400, reason: /empty body/ });
    expect(parseWebhookBody(undefined, undefined)).toMatchObject({ ok: false, status: 400 });
    expect(parseWebhookBody('{"id":', undefined)).toMatchObject({ ok: false, status: 400, reason: /not valid JSON/ });
    expect(parseWebhookBody(new Uint8Array([0x7b, 0xff, 0x7d]), 3)).toMatchObject({
      ok: false,
      status: 400,
      reason: 'body is not valid UTF-8',
    });
  });

  it('decodes a base64 body', () => {
    expect(parseWebhookBody(Buffer.from('{"a":1}').toString('base64'), undefined, { isBase64Encoded: true })).toEqual({
      ok: true,
      value: { a: 1 },
      bytes: 7,
    });
  });
});
