import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import type { TrailFacts } from '../doctor/facts.ts';
import { permitted } from './permissions.ts';
import { countThrottles } from './throttles.ts';

let shared: { endpoint: string | undefined; client: CloudTrailClient } | undefined;
/** One client per process, as in ec2.ts. */
export function cloudTrailClient(): CloudTrailClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_CLOUDTRAIL ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint)
    shared = { endpoint, client: countThrottles(new CloudTrailClient({}), 'cloudtrail') };
  return shared.client;
}

/**
 * Every trail that applies to this region (its own and other regions' multi-region trails, which
 * DescribeTrails lists as shadow trails), with whether it logs and what it selects. A trail is named
 * by its ARN: CloudTrail requires the ARN for a trail of another region.
 */
export async function describeTrails(client = cloudTrailClient()): Promise<TrailFacts[]> {
  const described = await permitted('cloudtrail:DescribeTrails', () =>
    client.send(new DescribeTrailsCommand({ includeShadowTrails: true })),
  );
  const trails: TrailFacts[] = [];
  for (const trail of described.trailList ?? []) {
    const name = trail.TrailARN ?? trail.Name ?? '';
    const status = await permitted('cloudtrail:GetTrailStatus', () =>
      client.send(new GetTrailStatusCommand({ Name: name })),
    );
    const selectors = await permitted('cloudtrail:GetEventSelectors', () =>
      client.send(new GetEventSelectorsCommand({ TrailName: name })),
    );
    trails.push({
      name: trail.Name ?? name,
      homeRegion: trail.HomeRegion ?? '',
      multiRegion: trail.IsMultiRegionTrail === true,
      logging: status.IsLogging === true,
      eventSelectors: (selectors.EventSelectors ?? []).map((s) => ({
        // CloudTrail's documented defaults: management events included, read and write.
        includeManagementEvents: s.IncludeManagementEvents ?? true,
        readWriteType: s.ReadWriteType === 'ReadOnly' || s.ReadWriteType === 'WriteOnly' ? s.ReadWriteType : 'All',
        excludeManagementEventSources: s.ExcludeManagementEventSources ?? [],
      })),
      advancedEventSelectors: (selectors.AdvancedEventSelectors ?? []).map((a) =>
        (a.FieldSelectors ?? []).map((f) => ({
          field: f.Field ?? '',
          ...(f.Equals ? { equals: f.Equals } : {}),
          ...(f.NotEquals ? { notEquals: f.NotEquals } : {}),
        })),
      ),
    });
  }
  return trails;
}
