import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

/**
 * Watches the HTTP requests the Lambdas' SDK clients send to one endpoint, independently of the
 * emulator's own call log: the benchmark cross-checks the two. The SDK numbers its attempts in the
 * `amz-sdk-request` header (`attempt=2; max=3`), which tells SDK retries from first attempts.
 */

export interface HttpObservation {
  requests: number;
  /** Requests answered: the ones the emulator received and logged. */
  responses: number;
  /**
   * Requests that failed before any answer, such as a keep-alive socket the server had just closed
   * (ECONNRESET): the emulator never saw them, and the SDK sends them again.
   */
  failedUnanswered: number;
  /** Requests that were an SDK retry (attempt >= 2) of an earlier request. */
  sdkRetries: number;
  /** Responses with status 503: EC2's RequestLimitExceeded (server errors are not injected here). */
  status503: number;
}

export function observeHttp(endpoint: string): { snapshot(): HttpObservation; stop(): void } {
  const { host } = new URL(endpoint);
  const seen: HttpObservation = { requests: 0, responses: 0, failedUnanswered: 0, sdkRetries: 0, status503: 0 };
  const answered = new WeakSet<ClientRequest>();
  const ours = (request: ClientRequest) => request.getHeader('host') === host;
  const onStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (!ours(request)) return;
    seen.requests += 1;
    const attempt = /attempt=(\d+)/.exec(String(request.getHeader('amz-sdk-request') ?? ''));
    if (attempt && Number(attempt[1]) >= 2) seen.sdkRetries += 1;
  };
  const onResponse = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (!ours(request)) return;
    answered.add(request);
    seen.responses += 1;
    if (response.statusCode === 503) seen.status503 += 1;
  };
  const onError = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (ours(request) && !answered.has(request)) seen.failedUnanswered += 1;
  };
  diagnosticsChannel.subscribe('http.client.request.start', onStart);
  diagnosticsChannel.subscribe('http.client.response.finish', onResponse);
  diagnosticsChannel.subscribe('http.client.request.error', onError);
  return {
    snapshot: () => ({ ...seen }),
    stop: () => {
      diagnosticsChannel.unsubscribe('http.client.request.start', onStart);
      diagnosticsChannel.unsubscribe('http.client.response.finish', onResponse);
      diagnosticsChannel.unsubscribe('http.client.request.error', onError);
    },
  };
}
