import { text } from 'node:stream/consumers';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../emulator/faults.ts';
import type { RawDetection } from './detections-scenario.ts';

/**
 * The appliance's detections search on loopback, as the poll sees it: API-key auth, `mod_time >=`
 * the cursor, the status and category filters, mod_time ascending with offset/limit pagination, and
 * each page a little out of order (the API does not promise order within a page).
 */

export interface BenchAppliance {
  url: string;
  apiKey: string;
  /** Search requests answered, and records returned in all. */
  searches: number;
  returned: number;
  close(): Promise<void>;
}

interface Search {
  mod_time: number;
  limit: number;
  offset: number;
  filter: { categories?: string[]; status?: string[]; risk_score_min?: number };
}

/** Swaps about `share` of the page's neighbours, seeded by the page's offset: the same disorder every run. */
export function disorder<T>(page: T[], share: number, seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...page];
  for (let i = 0; i + 1 < out.length; i += 1) {
    if (random() < share) [out[i], out[i + 1]] = [out[i + 1] as T, out[i] as T];
  }
  return out;
}

export async function startBenchAppliance(records: readonly RawDetection[], options: { apiKey?: string; disorderShare?: number } = {}): Promise<BenchAppliance> {
  const apiKey = options.apiKey ?? 'bench-apikey';
  const share = options.disorderShare ?? 0.1;
  const state = { searches: 0, returned: 0 };
  const server = createServer((request, response) => {
    void (async () => {
      const body = await text(request);
      const reply = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (request.url !== '/api/v1/detections/search' || request.method !== 'POST') return reply(404, { error: 'not found' });
      if (request.headers.authorization !== `ExtraHop apikey=${apiKey}`) return reply(401, { error: 'Unauthorized' });
      const search = JSON.parse(body) as Search;
      const statuses = search.filter.status ?? [];
      const matching = records.filter(
        (d) =>
          (d.mod_time as number) >= search.mod_time &&
          (d.status === null || d.status === undefined ? statuses.includes('.none') : statuses.includes(d.status as string)) &&
          (!search.filter.categories || search.filter.categories.some((c) => (d.categories as string[]).includes(c))) &&
          (search.filter.risk_score_min === undefined || (d.risk_score as number) >= search.filter.risk_score_min),
      );
      const page = disorder(matching.slice(search.offset, search.offset + search.limit), share, search.offset + 1);
      state.searches += 1;
      state.returned += page.length;
      return reply(200, page);
    })().catch((error: Error) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    get searches() {
      return state.searches;
    },
    get returned() {
      return state.returned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
