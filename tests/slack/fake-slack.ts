import { text } from 'node:stream/consumers';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for a Slack incoming webhook on 127.0.0.1: records every post and answers as scripted
 * (Slack answers in plain text: `ok`, `invalid_blocks`, `channel_not_found`, ...).
 */

export interface SlackAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface RecordedPost {
  /** By the clock the test hands in, so virtual waits show up as times. */
  at: number;
  path: string;
  contentType: string | undefined;
  payload: { text?: string; blocks?: unknown[] };
  answer: SlackAnswer;
}

export interface FakeSlack {
  /** A webhook-shaped URL whose last segment is the secret that must never be logged. */
  url: string;
  secretToken: string;
  posts: RecordedPost[];
  close(): Promise<void>;
}

export const OK: SlackAnswer = { status: 200, body: 'ok' };
export const rateLimited = (retryAfter: string): SlackAnswer => ({
  status: 429,
  body: 'rate_limited',
  headers: { 'retry-after': retryAfter },
});
export const INVALID_BLOCKS: SlackAnswer = { status: 400, body: 'invalid_blocks' };
export const CHANNEL_NOT_FOUND: SlackAnswer = { status: 404, body: 'channel_not_found' };
export const CHANNEL_IS_ARCHIVED: SlackAnswer = { status: 410, body: 'channel_is_archived' };
export const SERVER_ERROR: SlackAnswer = { status: 500, body: 'internal_error' };

/** `answer(n, payload)` decides the reply to the n-th post (0-based); every post is answered 200 ok by default. */
export async function startFakeSlack(
  options: { clock?: () => number; answer?: (n: number, payload: RecordedPost['payload']) => SlackAnswer } = {},
): Promise<FakeSlack> {
  const clock = options.clock ?? Date.now;
  const posts: RecordedPost[] = [];
  const secretToken = `xSeCrEt${Math.random().toString(36).slice(2, 12)}`;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const at = clock();
    void text(request).then((raw) => {
      const payload = JSON.parse(raw) as RecordedPost['payload'];
      const answer = options.answer?.(posts.length, payload) ?? OK;
      posts.push({ at, path: request.url ?? '', contentType: request.headers['content-type'], payload, answer });
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // Closing twice (a test that closes the webhook itself, then the cleanup) is the same close.
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/services/T0AUTOTAP/B0AUTOTAP/${secretToken}`,
    secretToken,
    posts,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}
