/**
 * Load balancer ENIs as mirror sources (`mirroring.sources.loadBalancers`). Elastic Load Balancing
 * creates them in the account as requester-managed ENIs
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html) whose description
 * names the load balancer: `ELB app/<name>/<id>` for an Application Load Balancer, `ELB <name>` for a
 * Classic one, as AWS's own tool for mirroring them matches them
 * (https://github.com/aws/elastic-load-balancing-tools, alb-clb-traffic-mirroring). Network and
 * Gateway Load Balancers (`ELB net/...`, `ELB gwy/...`) are not among the sources that tool mirrors,
 * so they are none of autotap's.
 */

const APPLICATION = /^ELB (app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32})$/;
// A Classic Load Balancer's name: letters, digits and hyphens, at most 32 (CreateLoadBalancer).
const CLASSIC = /^ELB ([A-Za-z0-9-]{1,32})$/;

/** The load balancer a requester-managed ENI's description names, if it is an ALB's or a CLB's. */
export function loadBalancerOfDescription(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  return APPLICATION.exec(description)?.[1] ?? CLASSIC.exec(description)?.[1];
}
