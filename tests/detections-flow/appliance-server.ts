import { text } from 'node:stream/consumers';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the appliance's REST API: detections search with offset pagination and the
 * status/category filters, API-key or OAuth client-credentials auth, and injectable failures.
 */

export type RawDetection = Record<string, unknown>;

export interface SearchRequest {
  mod_time: number;
  until: number;
  limit: number;
  offset: number;
  sort: { field: string; direction: string }[];
  filter: { categories?: string[]; risk_score_min?: number; status?: string[] };
}

export interface ApplianceServer {
  url: string;
  detections: RawDetection[];
  searches: SearchRequest[];
  /** Authorization headers of search requests, in order. */
  authorizations: string[];
  tokenRequests: number;
  /** Answer the search request with this number (1-based) with HTTP 500, or run a hook before answering. */
  onSearch?: (
    n: number,
    request: SearchRequest,
  ) => { status: number; body?: unknown; headers?: Record<string, string> } | void | Promise<void>;
  /** Reorders each page (the appliance does not promise order within a page). */
  shufflePages: boolean;
  revokeTokens(): void;
  close(): Promise<void>;
}

export interface ApplianceServerOptions {
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
  tokenLifetimeSeconds?: number;
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

export async function startApplianceServer(options: ApplianceServerOptions = {}): Promise<ApplianceServer> {
  const validTokens = new Set<string>();
  let tokenCount = 0;
  const state: Omit<ApplianceServer, 'url' | 'close' | 'revokeTokens'> = {
    detections: [],
    searches: [],
    authorizations: [],
    tokenRequests: 0,
    shufflePages: false,
  };

  const server = createServer((request, response) => {
    void (async () => {
      const body = await text(request);
      if (request.url === '/oauth2/token' && request.method === 'POST') {
        state.tokenRequests += 1;
        const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
        if (
          !options.clientId ||
          request.headers.authorization !== expected ||
          body !== 'grant_type=client_credentials'
        ) {
          return json(response, 401, { error: 'invalid_client' });
        }
        const token = `token-${++tokenCount}`;
        validTokens.add(token);
        return json(response, 200, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: options.tokenLifetimeSeconds ?? 3600,
        });
      }
      if (request.url !== '/api/v1/detections/search' || request.method !== 'POST')
        return json(response, 404, { error: 'not found' });
      const authorization = request.headers.authorization ?? '';
      state.authorizations.push(authorization);
      const bearer = /^Bearer (.+)$/.exec(authorization)?.[1];
      const authorized = options.apiKey
        ? authorization === `ExtraHop apikey=${options.apiKey}`
        : bearer !== undefined && validTokens.has(bearer);
      if (!authorized) return json(response, 401, { error: 'Unauthorized' });
      const search = JSON.parse(body) as SearchRequest;
      // The appliance's documented bounds for one search: limit 1 to 20,000.
      if (!Number.isInteger(search.limit) || search.limit < 1 || search.limit > 20_000)
        return json(response, 400, { error: 'limit must be from 1 to 20000' });
      state.searches.push(search);
      const injected = await api.onSearch?.(state.searches.length, search);
      if (injected) return json(response, injected.status, injected.body ?? { error: 'injected' }, injected.headers);
      const statuses = search.filter.status ?? [];
      const matching = state.detections
        .filter((d) => (d.mod_time as number) >= search.mod_time)
        .filter((d) =>
          d.status === null || d.status === undefined
            ? statuses.includes('.none')
            : statuses.includes(d.status as string),
        )
        .filter(
          (d) =>
            !search.filter.categories || search.filter.categories.some((c) => (d.categories as string[]).includes(c)),
        )
        .sort((a, b) => (a.mod_time as number) - (b.mod_time as number));
      const page = matching.slice(search.offset, search.offset + search.limit);
      if (api.shufflePages) page.reverse();
      return json(response, 200, page);
    })().catch((error: Error) => json(response, 500, { error: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const api: ApplianceServer = Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    revokeTokens: () => validTokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return api;
}

/** A raw detection as the REST API returns it (snake_case, ms). */
export function rawDetection(id: number, modTime: number, extra: RawDetection = {}): RawDetection {
  return {
    id,
    type: 'rdp_brute_force',
    title: `RDP brute force ${id}`,
    description: 'Device [10.0.1.7](#/metrics/devices/1) tried many passwords.',
    categories: ['sec', 'sec.attack'],
    risk_score: 60,
    start_time: Math.max(0, modTime - 60_000),
    update_time: modTime,
    mod_time: modTime,
    status: null,
    participants: [
      { role: 'offender', object_type: 'device', object_id: 1, object_value: '10.0.1.7' },
      { role: 'victim', object_type: 'ipaddr', object_value: '10.0.2.9' },
    ],
    mitre_tactics: [],
    mitre_techniques: [],
    ...extra,
  };
}
