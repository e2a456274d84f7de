import { describe, expect, test } from '@jest/globals';
import { withWebhook } from '../../src/slack/webhook.ts';

const URL_IN_SECRET = 'https://hooks.slack.com/services/T000/B000/s3cr3tT0ken';

describe('withWebhook', () => {
  test("posts the payload as JSON to the URL the secret holds, and reads Slack's answer", async () => {
    const requests: { url: string; body: string }[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      requests.push({ url, body: init.body as string });
      return new Response('channel_not_found', { status: 404 });
    }) as unknown as typeof globalThis.fetch;
    const result = await withWebhook(JSON.stringify({ webhookUrl: URL_IN_SECRET }), (post) => post({ text: 'hi' }), {
      fetch,
    });
    expect(requests).toEqual([{ url: URL_IN_SECRET, body: '{"text":"hi"}' }]);
    expect(result).toEqual({ kind: 'needs-human', status: 404, error: 'channel_not_found' });
  });

  test('whatever the delivery throws leaves without the URL or its secret path', async () => {
    const thrown = await withWebhook(URL_IN_SECRET, async () => {
      throw new Error(`failed at ${URL_IN_SECRET} (path /services/T000/B000/s3cr3tT0ken)`);
    }).catch((error: unknown) => error as Error);
    expect(thrown.message).toBe('failed at [webhook URL] (path [webhook path])');
    expect(thrown.stack).not.toContain('s3cr3tT0ken');
  });

  test('a secret that is not an https URL is refused before anything is posted, without echoing it', async () => {
    let posted = false;
    const thrown = (await withWebhook('http://hooks.example.com/s3cr3t', async () => void (posted = true)).catch(
      (error: unknown) => error,
    )) as Error;
    expect(thrown).toMatchObject({ name: 'InvalidWebhookSecret' });
    expect(thrown.message).not.toContain('s3cr3t');
    expect(posted).toBe(false);
  });
});
