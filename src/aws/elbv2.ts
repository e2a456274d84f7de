import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancerFacts } from '../doctor/facts.ts';
import { permitted } from './permissions.ts';
import { countThrottles } from './throttles.ts';

let shared: { endpoint: string | undefined; client: ElasticLoadBalancingV2Client } | undefined;
/** One client per process, as in ec2.ts. */
export function loadBalancingClient(): ElasticLoadBalancingV2Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint)
    shared = { endpoint, client: countThrottles(new ElasticLoadBalancingV2Client({}), 'elbv2') };
  return shared.client;
}

/** ELBv2 answers an unknown ARN with LoadBalancerNotFound (the SDK names it ...Exception). */
const isNotFound = (error: unknown): boolean =>
  ['LoadBalancerNotFound', 'LoadBalancerNotFoundException'].includes((error as Error).name);

/**
 * The load balancers behind NLB targets, with their zones and listeners. One ARN per call: a single
 * unknown ARN fails a call naming several, and a target whose balancer is gone is what doctor reports.
 */
export async function describeLoadBalancers(
  arns: readonly string[],
  client = loadBalancingClient(),
): Promise<LoadBalancerFacts[]> {
  const found: LoadBalancerFacts[] = [];
  for (const arn of new Set(arns)) {
    let balancer;
    try {
      const out = await permitted('elasticloadbalancing:DescribeLoadBalancers', () =>
        client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })),
      );
      balancer = out.LoadBalancers?.[0];
    } catch (error) {
      if (isNotFound(error)) continue;
      throw error;
    }
    if (!balancer) continue;
    const listeners: LoadBalancerFacts['listeners'] = [];
    await permitted('elasticloadbalancing:DescribeListeners', async () => {
      for await (const page of paginateDescribeListeners({ client }, { LoadBalancerArn: arn })) {
        for (const l of page.Listeners ?? []) listeners.push({ protocol: l.Protocol ?? '', port: l.Port ?? 0 });
      }
    });
    found.push({
      arn,
      type: balancer.Type ?? '',
      availabilityZones: (balancer.AvailabilityZones ?? []).flatMap((z) => (z.ZoneName ? [z.ZoneName] : [])),
      listeners,
    });
  }
  return found;
}
