import type { Config } from '../config/schema.ts';
import { LAMBDA_MINIMUM_UNRESERVED, totalReserved } from '../config/quotas.ts';
import { mostlyUnsupportedWarning, scopeCoverage } from '../mirroring/coverage.ts';
import { decideScope } from '../mirroring/scope.ts';
import { overrideFilterIds } from '../mirroring/session-choices.ts';
import { ZONE_TAG } from '../mirroring/targets.ts';
import { MANAGED_TAG, type Instance } from '../mirroring/types.ts';
import type {
  AccountFacts,
  Fact,
  FilterFacts,
  InboundRuleFacts,
  LoadBalancerFacts,
  SecurityGroupFacts,
  TargetFacts,
  TargetInterfaceFacts,
  TrailFacts,
} from './facts.ts';

/**
 * The checks of `autotap doctor`: the configuration against what the account holds, before and
 * after deploy. Each result is one line: a verdict, what was found, and the fix.
 */

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Which check (stable, for scripts reading --json). */
  check: string;
  /** What it was about when a check covers several things (a target id, a secret ARN). */
  subject?: string;
  verdict: Verdict;
  detail: string;
  /** What to do about it; absent for ok. */
  fix?: string;
}

/**
 * VXLAN: "You must configure a security group for the traffic mirror target that allows VXLAN traffic
 * (UDP port 4789) from the traffic mirror source" (https://docs.aws.amazon.com/vpc/latest/mirroring/create-traffic-mirroring-target.html).
 */
export const VXLAN_PORT = 4789;

/**
 * Traffic Mirroring allows 10,000 sessions per account, not adjustable
 * (https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-limits.html).
 */
export const ACCOUNT_SESSION_QUOTA = 10_000;
/** Below this share of the quota left after mirroring the scope, doctor warns. */
export const LOW_HEADROOM_SHARE = 0.1;

/** The stack's resource names (serverless.yml): state machines and the ops topic. */
export function stateMachineNames(stage: string): string[] {
  return ['mirror-instances', 'cleanup-sessions', 'reconcile'].map((name) => `autotap-${stage}-${name}`);
}
export const opsTopicName = (stage: string): string => `autotap-${stage}-ops`;

/** The deployed function that reads each configured secret, as deploy/roles.ts grants it. */
export interface ConfiguredSecret {
  arn: string;
  setting: string;
  functionName: string;
}

export function configuredSecrets(config: Config, stage: string): ConfiguredSecret[] {
  const detections = config.detections;
  if (!detections || !detections.enabled) return [];
  const secrets: ConfiguredSecret[] = [];
  const fn = (name: string) => `autotap-${stage}-${name}`;
  if (detections.appliance && detections.poll.enabled) {
    secrets.push({
      arn: detections.appliance.secretArn,
      setting: 'detections.appliance.secretArn',
      functionName: fn('detectionsPoll'),
    });
  }
  if (detections.webhook.enabled && detections.webhook.secretArn) {
    secrets.push({
      arn: detections.webhook.secretArn,
      setting: 'detections.webhook.secretArn',
      functionName: fn('detectionsWebhook'),
    });
  }
  // Amazon Q posts what its topic receives: no webhook secret is read then.
  if (detections.slack && detections.slack.format === 'block-kit') {
    secrets.push({
      arn: detections.slack.secretArn,
      setting: 'detections.slack.secretArn',
      functionName: fn('slackNotify'),
    });
  }
  return secrets;
}

function unreadable(check: string, fact: Fact<unknown> & { read: false }, subject?: string): CheckResult {
  return {
    check,
    ...(subject ? { subject } : {}),
    verdict: 'warn',
    detail: `could not check: ${fact.reason}`,
    fix: fact.action ? `allow ${fact.action} to the identity running doctor` : 'run doctor again; see the reason above',
  };
}

const result = (check: string, verdict: Verdict, detail: string, fix?: string, subject?: string): CheckResult => ({
  check,
  ...(subject ? { subject } : {}),
  verdict,
  detail,
  ...(fix ? { fix } : {}),
});

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export function checkFilter(config: Config, filter: Fact<FilterFacts | undefined>): CheckResult {
  // Absent when the stack creates the filter: its id is a stack output, known only after deploy.
  const id: string | undefined = config.mirroring.filterId;
  if (id === undefined) {
    return result(
      'filter',
      'skip',
      'the stack creates the filter: after deploy, put its id (stack output TrafficMirrorFilterId) in mirroring.filterId to check it',
    );
  }
  return judgeFilter('filter', id, filter, 'mirroring.filterId');
}

/** Whether a filter exists and mirrors something; `field` names where the configuration holds its id. */
function judgeFilter(check: string, id: string, filter: Fact<FilterFacts | undefined>, field: string): CheckResult {
  if (!filter.read) return unreadable(check, filter, id);
  if (!filter.value) {
    return result(
      check,
      'fail',
      'does not exist in this account and region',
      `create the filter (VPC console, Traffic Mirroring, Mirror filters) or correct ${field}`,
      id,
    );
  }
  const accepting = filter.value.rules.filter((r) => r.action === 'accept');
  if (accepting.length === 0) {
    return result(
      check,
      'fail',
      `has ${filter.value.rules.length === 0 ? 'no rules' : 'only reject rules'}: a session with it mirrors nothing`,
      'add accept rules (for example all protocols, 0.0.0.0/0 to 0.0.0.0/0, inbound and outbound)',
      id,
    );
  }
  const inbound = accepting.filter((r) => r.direction === 'ingress').length;
  const outbound = accepting.length - inbound;
  if (inbound === 0 || outbound === 0) {
    return result(
      check,
      'warn',
      `accepts ${inbound === 0 ? 'outbound' : 'inbound'} traffic only`,
      `add ${inbound === 0 ? 'inbound' : 'outbound'} accept rules if the appliance needs both directions`,
      id,
    );
  }
  return result(
    check,
    'ok',
    `exists: ${plural(inbound, 'inbound accept rule')}, ${plural(outbound, 'outbound accept rule')}`,
    undefined,
    id,
  );
}

/**
 * Each override's own filter, and the service kinds', judged like the section's (overrides
 * that only change packet length have none).
 */
export function checkOverrideFilters(
  config: Config,
  filters: ReadonlyMap<string, Fact<FilterFacts | undefined>>,
): CheckResult[] {
  return overrideFilterIds(config.mirroring).flatMap((id) => {
    const filter = filters.get(id);
    const index = config.mirroring.overrides.findIndex((o) => o.filterId === id);
    const field =
      index >= 0
        ? `mirroring.overrides[${index}].filterId (${config.mirroring.overrides[index]?.name ?? ''})`
        : config.mirroring.sources.loadBalancers.filterId === id
          ? 'mirroring.sources.loadBalancers.filterId'
          : 'mirroring.sources.requesterManaged.filterId';
    return filter ? [judgeFilter('override-filter', id, filter, field)] : [];
  });
}

const KIND_NAMES: Record<TargetFacts['kind'], string> = {
  'network-interface': 'ENI',
  'network-load-balancer': 'Network Load Balancer',
  'gateway-load-balancer-endpoint': 'Gateway Load Balancer endpoint',
};

/** The zones a target serves: its ENI's, its NLB's, or the configured / tagged one. */
function targetZones(
  target: TargetFacts,
  configuredZone: string | undefined,
  interfaces: TargetInterfaceFacts[],
  balancers: LoadBalancerFacts[],
): string[] {
  if (configuredZone) return [configuredZone];
  if (target.kind === 'network-interface') {
    const eni = interfaces.find((i) => i.networkInterfaceId === target.networkInterfaceId);
    return eni ? [eni.availabilityZone] : [];
  }
  if (target.kind === 'network-load-balancer')
    return balancers.find((b) => b.arn === target.networkLoadBalancerArn)?.availabilityZones ?? [];
  return [];
}

/** The targets the configuration names or tags, one line each: exists, kind, zone. */
export function checkTargets(
  config: Config,
  facts: Pick<AccountFacts, 'targets' | 'targetInterfaces' | 'loadBalancers'>,
): CheckResult[] {
  const { targets } = facts;
  if (!targets.read) return [unreadable('target', targets)];
  const interfaces = facts.targetInterfaces.read ? facts.targetInterfaces.value : [];
  const balancers = facts.loadBalancers.read ? facts.loadBalancers.value : [];
  const results: CheckResult[] = [];
  for (const configured of config.mirroring.targets) {
    const target = targets.value.find((t) => t.trafficMirrorTargetId === configured.id);
    if (!target) {
      results.push(
        result(
          'target',
          'fail',
          'does not exist in this account and region',
          'create the target or correct mirroring.targets[].id',
          configured.id,
        ),
      );
      continue;
    }
    const actual = targetZones(target, undefined, interfaces, balancers);
    if (configured.availabilityZone && actual.length > 0 && !actual.includes(configured.availabilityZone)) {
      results.push(
        result(
          'target',
          'warn',
          `${KIND_NAMES[target.kind]} in ${actual.join(', ')}, configured as ${configured.availabilityZone}`,
          `set availabilityZone: ${actual[0]} for ${configured.id}, or remove it`,
          configured.id,
        ),
      );
      continue;
    }
    const zones = targetZones(target, configured.availabilityZone, interfaces, balancers);
    results.push(
      result(
        'target',
        'ok',
        `${KIND_NAMES[target.kind]}${zones.length > 0 ? ` in ${zones.join(', ')}` : ', serves every zone'}`,
        undefined,
        configured.id,
      ),
    );
  }
  const tag = config.mirroring.targetTag;
  if (tag) {
    const tagged = targets.value.filter(
      (t) => t.tags[tag.key] === tag.value && !config.mirroring.targets.some((c) => c.id === t.trafficMirrorTargetId),
    );
    if (tagged.length === 0 && config.mirroring.targets.length === 0) {
      results.push(
        result(
          'target',
          'fail',
          `no traffic mirror target carries the tag ${tag.key}=${tag.value}`,
          `tag a target ${tag.key}=${tag.value}, or list it in mirroring.targets`,
          `tag ${tag.key}=${tag.value}`,
        ),
      );
    } else {
      for (const t of tagged) {
        const zones = targetZones(t, t.tags[ZONE_TAG], interfaces, balancers);
        results.push(
          result(
            'target',
            'ok',
            `${KIND_NAMES[t.kind]} found by tag${zones.length > 0 ? ` in ${zones.join(', ')}` : ', serves every zone'}`,
            undefined,
            t.trafficMirrorTargetId,
          ),
        );
      }
    }
  }
  return results;
}

/** The targets autotap would use, with the zones each serves (empty: every zone). */
function usableTargets(
  config: Config,
  facts: Pick<AccountFacts, 'targets' | 'targetInterfaces' | 'loadBalancers'>,
): { target: TargetFacts; zones: string[] }[] {
  if (!facts.targets.read) return [];
  const interfaces = facts.targetInterfaces.read ? facts.targetInterfaces.value : [];
  const balancers = facts.loadBalancers.read ? facts.loadBalancers.value : [];
  const tag = config.mirroring.targetTag;
  return facts.targets.value.flatMap((target) => {
    const configured = config.mirroring.targets.find((c) => c.id === target.trafficMirrorTargetId);
    const tagged = tag !== undefined && target.tags[tag.key] === tag.value;
    if (!configured && !tagged) return [];
    const zone = configured?.availabilityZone ?? (tagged ? target.tags[ZONE_TAG] : undefined);
    return [{ target, zones: targetZones(target, zone, interfaces, balancers) }];
  });
}

/** The ENIs the configuration would mirror, with their instance. */
export function inScopeInterfaces(
  config: Config,
  instances: readonly Instance[],
  targetInterfaceIds: ReadonlySet<string> = new Set(),
) {
  return instances.flatMap((instance) =>
    instance.networkInterfaces.map((eni) => ({
      instance,
      eni,
      skip: decideScope(instance, eni, config.mirroring.scope, targetInterfaceIds),
    })),
  );
}

/** In-scope zones without a target there: cross-zone traffic (prefer-same), or nothing mirrored (same-only). */
export function checkZones(
  config: Config,
  facts: Pick<AccountFacts, 'targets' | 'targetInterfaces' | 'loadBalancers' | 'instances'>,
): CheckResult {
  if (!facts.instances.read) return unreadable('zones', facts.instances);
  if (!facts.targets.read) return unreadable('zones', facts.targets);
  const usable = usableTargets(config, facts);
  // A load balancer or endpoint whose zones are unknown may serve any zone; an ENI target whose ENI
  // is gone serves none.
  const everyZone = usable.some((u) => u.zones.length === 0 && u.target.kind !== 'network-interface');
  const served = new Set(usable.flatMap((u) => u.zones));
  const zones = [
    ...new Set(
      inScopeInterfaces(config, facts.instances.value)
        .filter((c) => c.skip === null)
        .map((c) => c.instance.availabilityZone),
    ),
  ].sort();
  if (zones.length === 0) return result('zones', 'ok', 'no instance in scope yet');
  const uncovered = everyZone ? [] : zones.filter((z) => !served.has(z));
  if (uncovered.length === 0) return result('zones', 'ok', `every in-scope zone has a target (${zones.join(', ')})`);
  const sameOnly = config.mirroring.crossAz === 'same-only';
  return result(
    'zones',
    sameOnly ? 'fail' : 'warn',
    `no target in ${uncovered.join(', ')}: ${sameOnly ? 'instances there are not mirrored (crossAz: same-only)' : 'their traffic crosses zones (billed per GB)'}`,
    `add a target in ${uncovered.join(', ')} (or a load balancer target serving them)`,
  );
}

function allowsVxlan(rule: InboundRuleFacts): boolean {
  const protocol = rule.protocol.toLowerCase();
  if (protocol === '-1' || protocol === 'all') return rule.cidrs.length + rule.groupIds.length > 0;
  if (protocol !== 'udp' && protocol !== '17') return false;
  const from = rule.fromPort ?? 0;
  const to = rule.toPort ?? 65535;
  return from <= VXLAN_PORT && VXLAN_PORT <= to && rule.cidrs.length + rule.groupIds.length > 0;
}

/** An IPv4 CIDR block as its first address and prefix length; undefined for anything else (IPv6). */
function ipv4Block(cidr: string): { base: number; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { base: octets.reduce((address, octet) => address * 256 + octet, 0), prefix };
}

/** Whether every address of `inner` is in `outer`. */
function containsBlock(outer: string, inner: string): boolean {
  const a = ipv4Block(outer);
  const b = ipv4Block(inner);
  if (!a || !b || a.prefix > b.prefix) return false;
  const size = 2 ** (32 - a.prefix);
  return Math.floor(a.base / size) === Math.floor(b.base / size);
}

/** The CIDR blocks of the VPCs the in-scope sources are in: where the mirrored packets come from. */
function sourceCidrs(
  config: Config,
  facts: Pick<AccountFacts, 'instances' | 'vpcs'>,
): { vpcId: string; cidr: string }[] {
  if (!facts.instances.read || !facts.vpcs.read) return [];
  const vpcIds = new Set(
    inScopeInterfaces(config, facts.instances.value)
      .filter((c) => c.skip === null)
      .flatMap((c) => {
        const vpcId = c.eni.vpcId ?? c.instance.vpcId;
        return vpcId ? [vpcId] : [];
      }),
  );
  return facts.vpcs.value
    .filter((v) => vpcIds.has(v.vpcId))
    .flatMap((v) => v.cidrs.map((cidr) => ({ vpcId: v.vpcId, cidr })));
}

/**
 * An ENI target's security groups let UDP 4789 in from the sources' VPC CIDR blocks (or name a group
 * the sources are expected to be in); an NLB target has a UDP listener on 4789.
 */
export function checkTargetPaths(
  config: Config,
  facts: Pick<AccountFacts, 'targets' | 'targetInterfaces' | 'securityGroups' | 'loadBalancers'> &
    Partial<Pick<AccountFacts, 'instances' | 'vpcs'>>,
): CheckResult[] {
  const sources =
    facts.instances && facts.vpcs ? sourceCidrs(config, { instances: facts.instances, vpcs: facts.vpcs }) : [];
  const results: CheckResult[] = [];
  for (const { target } of usableTargets(config, facts)) {
    const id = target.trafficMirrorTargetId;
    if (target.kind === 'network-interface') {
      if (!facts.targetInterfaces.read) {
        results.push(unreadable('udp-4789', facts.targetInterfaces, id));
        continue;
      }
      if (!facts.securityGroups.read) {
        results.push(unreadable('udp-4789', facts.securityGroups, id));
        continue;
      }
      const eni = facts.targetInterfaces.value.find((i) => i.networkInterfaceId === target.networkInterfaceId);
      if (!eni) {
        results.push(
          result(
            'udp-4789',
            'fail',
            `the target's ENI ${target.networkInterfaceId ?? '(none)'} no longer exists: sessions to it go silent`,
            'point the sessions at a live target (recreate the target on the sensor ENI)',
            id,
          ),
        );
        continue;
      }
      const groups: SecurityGroupFacts[] = facts.securityGroups.value.filter((g) =>
        eni.securityGroupIds.includes(g.groupId),
      );
      const allowing = groups.flatMap((g) => g.inbound.filter(allowsVxlan).map((r) => ({ group: g.groupId, rule: r })));
      if (allowing.length === 0) {
        results.push(
          result(
            'udp-4789',
            'fail',
            `no security group of ${eni.networkInterfaceId} (${eni.securityGroupIds.join(', ') || 'none'}) allows UDP ${VXLAN_PORT} inbound: mirrored packets are dropped`,
            `allow inbound UDP ${VXLAN_PORT} from the sources' VPC CIDRs in ${eni.securityGroupIds[0] ?? 'its security group'}`,
            id,
          ),
        );
        continue;
      }
      const from = [...new Set(allowing.flatMap((a) => [...a.rule.cidrs, ...a.rule.groupIds]))];
      const allowedCidrs = allowing.flatMap((a) => a.rule.cidrs);
      const uncovered = sources.filter((s) => !allowedCidrs.some((allowed) => containsBlock(allowed, s.cidr)));
      if (uncovered.length > 0) {
        const named = uncovered.map((s) => `${s.cidr} (${s.vpcId})`).join(', ');
        const fix = `allow inbound UDP ${VXLAN_PORT} from ${uncovered.map((s) => s.cidr).join(', ')} in ${eni.securityGroupIds[0] ?? 'its security group'}`;
        const groups = allowing.flatMap((a) => a.rule.groupIds);
        results.push(
          groups.length > 0
            ? result(
                'udp-4789',
                'warn',
                `UDP ${VXLAN_PORT} is allowed from ${from.join(', ')}: sources in ${named} get through only if they are in ${[...new Set(groups)].join(', ')}`,
                fix,
                id,
              )
            : result(
                'udp-4789',
                'fail',
                `UDP ${VXLAN_PORT} is allowed only from ${from.join(', ')}: mirrored packets from ${named} are dropped`,
                fix,
                id,
              ),
        );
        continue;
      }
      results.push(
        result(
          'udp-4789',
          'ok',
          `UDP ${VXLAN_PORT} allowed inbound to ${eni.networkInterfaceId} from ${from.join(', ')}`,
          undefined,
          id,
        ),
      );
    } else if (target.kind === 'network-load-balancer') {
      if (!facts.loadBalancers.read) {
        results.push(unreadable('udp-4789', facts.loadBalancers, id));
        continue;
      }
      const balancer = facts.loadBalancers.value.find((b) => b.arn === target.networkLoadBalancerArn);
      if (!balancer) {
        results.push(
          result(
            'udp-4789',
            'fail',
            `the target's load balancer ${target.networkLoadBalancerArn ?? '(none)'} no longer exists`,
            'recreate the target on a live Network Load Balancer',
            id,
          ),
        );
        continue;
      }
      const listener = balancer.listeners.find(
        (l) => l.port === VXLAN_PORT && (l.protocol === 'UDP' || l.protocol === 'TCP_UDP'),
      );
      results.push(
        listener
          ? result('udp-4789', 'ok', `the load balancer listens on ${listener.protocol} ${VXLAN_PORT}`, undefined, id)
          : result(
              'udp-4789',
              'fail',
              `the load balancer has no UDP listener on port ${VXLAN_PORT}: mirrored packets are dropped`,
              `add a UDP listener on port ${VXLAN_PORT} forwarding to the appliance's target group`,
              id,
            ),
      );
    } else {
      results.push(
        result(
          'udp-4789',
          'skip',
          'a Gateway Load Balancer endpoint forwards to its service: check the appliance side',
          undefined,
          id,
        ),
      );
    }
  }
  return results;
}

/** Whether a basic selector set logs management write events of EC2. */
function basicLogsEc2Writes(trail: TrailFacts): boolean {
  return trail.eventSelectors.some(
    (s) =>
      s.includeManagementEvents &&
      s.readWriteType !== 'ReadOnly' &&
      !s.excludeManagementEventSources.includes('ec2.amazonaws.com'),
  );
}

/** Whether an advanced selector set logs management write events of EC2. */
function advancedLogsEc2Writes(trail: TrailFacts): boolean {
  return trail.advancedEventSelectors.some((fields) => {
    const field = (name: string) => fields.find((f) => f.field === name);
    const category = field('eventCategory');
    if (!category?.equals?.includes('Management')) return false;
    const readOnly = field('readOnly');
    if (readOnly?.equals?.includes('true')) return false;
    const source = field('eventSource');
    if (source?.notEquals?.includes('ec2.amazonaws.com')) return false;
    if (source?.equals && !source.equals.includes('ec2.amazonaws.com')) return false;
    return true;
  });
}

/**
 * The rules on ENI attach and detach match "AWS API Call via CloudTrail" events, which EventBridge
 * receives only with a trail logging them: "To record events with one of the CloudTrail detail-type
 * values, you must enable a CloudTrail trail with logging"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
 */
export function checkTrail(facts: Pick<AccountFacts, 'trails' | 'region'>): CheckResult {
  if (!facts.trails.read) return unreadable('cloudtrail', facts.trails);
  const here = facts.trails.value.filter((t) => t.multiRegion || t.homeRegion === facts.region);
  const fix = `create a trail (multi-region, or in ${facts.region}) logging management write events, and start logging`;
  if (here.length === 0) {
    return result(
      'cloudtrail',
      'fail',
      `no trail covers ${facts.region}: EventBridge receives no ENI attach/detach calls, and autotap misses attached ENIs until the reconciler runs`,
      fix,
    );
  }
  const delivering = here.filter((t) => t.logging && (basicLogsEc2Writes(t) || advancedLogsEc2Writes(t)));
  if (delivering.length > 0)
    return result(
      'cloudtrail',
      'ok',
      `trail ${delivering[0]!.name} logs EC2 management write events in ${facts.region}`,
    );
  const stopped = here.filter((t) => !t.logging);
  return result(
    'cloudtrail',
    'fail',
    stopped.length === here.length
      ? `trail ${here.map((t) => t.name).join(', ')} is not logging`
      : `no trail covering ${facts.region} logs EC2 management write events (${here.map((t) => t.name).join(', ')})`,
    fix,
  );
}

/** Whether every state machine of the stage exists. */
export function isDeployed(facts: Pick<AccountFacts, 'stateMachines' | 'stage'>): boolean {
  return (
    facts.stateMachines.read &&
    stateMachineNames(facts.stage).every((name) => facts.stateMachines.read && facts.stateMachines.value.includes(name))
  );
}

export function checkSecrets(
  config: Config,
  facts: Pick<AccountFacts, 'secrets' | 'stage' | 'stateMachines'>,
): CheckResult[] {
  const wanted = configuredSecrets(config, facts.stage);
  if (wanted.length === 0) return [result('secrets', 'skip', 'no detections secret is configured')];
  if (!facts.secrets.read) return [unreadable('secrets', facts.secrets)];
  const found = facts.secrets.value;
  return wanted.flatMap((secret) => {
    const fact = found.find((s) => s.arn === secret.arn);
    if (!fact || !fact.exists) {
      return [
        result(
          'secret',
          'fail',
          `${secret.setting} names a secret that does not exist`,
          `create it (aws secretsmanager create-secret) or correct ${secret.setting}`,
          secret.arn,
        ),
      ];
    }
    const lines = [result('secret', 'ok', `exists (${secret.setting})`, undefined, secret.arn)];
    const readable = fact.readableByFunction;
    if (readable === undefined) {
      const why = isDeployed(facts) ? 'its role could not be read' : 'the stack is not deployed';
      lines.push(
        result(
          'secret-access',
          'skip',
          `whether ${secret.functionName} may read it is not checked: ${why}`,
          undefined,
          secret.arn,
        ),
      );
    } else if (!readable.read) {
      lines.push(unreadable('secret-access', readable, secret.arn));
    } else if (!readable.value) {
      lines.push(
        result(
          'secret-access',
          'fail',
          `${secret.functionName} may not read it (secretsmanager:GetSecretValue denied)`,
          `deploy the stack again with this ${secret.setting}; its role grants exactly the configured ARN`,
          secret.arn,
        ),
      );
    } else {
      lines.push(result('secret-access', 'ok', `${secret.functionName} may read it`, undefined, secret.arn));
    }
    return lines;
  });
}

export function checkOpsSubscriptions(
  config: Config,
  facts: Pick<AccountFacts, 'opsSubscriptions' | 'stage'>,
): CheckResult {
  const wanted = config.notifications.opsEmails;
  if (wanted.length === 0) {
    return result(
      'ops-subscriptions',
      'warn',
      'notifications.opsEmails is empty: nobody hears about failed mirroring',
      'add at least one address to notifications.opsEmails',
    );
  }
  if (!facts.opsSubscriptions.read) return unreadable('ops-subscriptions', facts.opsSubscriptions);
  const subscriptions = facts.opsSubscriptions.value;
  if (subscriptions === undefined)
    return result('ops-subscriptions', 'skip', `topic ${opsTopicName(facts.stage)} does not exist yet (not deployed)`);
  const byAddress = new Map(
    subscriptions.filter((s) => s.protocol === 'email').map((s) => [s.endpoint.toLowerCase(), s]),
  );
  const missing = wanted.filter((a) => !byAddress.has(a.toLowerCase()));
  const pending = wanted.filter((a) => byAddress.get(a.toLowerCase())?.pendingConfirmation === true);
  if (missing.length > 0) {
    return result(
      'ops-subscriptions',
      'fail',
      `not subscribed to ${opsTopicName(facts.stage)}: ${missing.join(', ')}`,
      'deploy the stack again: it subscribes every address of notifications.opsEmails',
    );
  }
  if (pending.length > 0) {
    return result(
      'ops-subscriptions',
      'warn',
      `not confirmed yet: ${pending.join(', ')} (SNS sends them nothing until they confirm)`,
      'open the "AWS Notification - Subscription Confirmation" e-mail and confirm',
    );
  }
  return result('ops-subscriptions', 'ok', `${plural(wanted.length, 'address')} subscribed and confirmed`);
}

export function checkInstanceTypes(config: Config, facts: Pick<AccountFacts, 'instances'>): CheckResult {
  if (!facts.instances.read) return unreadable('instance-types', facts.instances);
  const coverage = scopeCoverage(facts.instances.value, config.mirroring.scope);
  const skips = coverage.skipped
    .map((s) => `${s.reason} ${plural(s.instances, 'instance')} / ${s.enis} ENIs`)
    .join(', ');
  const counted = `running: ${plural(coverage.running.instances, 'instance')}, ${coverage.running.enis} ENIs, ${coverage.eligible.enis} eligible${skips ? `; skipped: ${skips}` : ''}`;
  const unsupported = coverage.skipped.find((s) => s.reason === 'unsupported')?.instances ?? 0;
  if (unsupported === 0)
    return result('instance-types', 'ok', `every in-scope instance type supports Traffic Mirroring (${counted})`);
  const most = mostlyUnsupportedWarning(coverage);
  return result(
    'instance-types',
    'warn',
    `${most ? `${most}. ` : ''}${plural(unsupported, 'in-scope instance')} of a type Traffic Mirroring does not support (${coverage.unsupportedTypes.join(', ')}): autotap skips them (${counted})`,
    'use a supported (Nitro) type for instances that must be mirrored, or exclude them (tag autotap:mirror=false); docs/configuration.md, "Which instances", quotes AWS\'s list',
  );
}

/** Sessions in the account, plus those the scope still needs, against the 10,000 per account. */
export function checkSessionQuota(
  config: Config,
  facts: Pick<AccountFacts, 'sessions' | 'instances' | 'targets'>,
  quota = ACCOUNT_SESSION_QUOTA,
): CheckResult {
  if (!facts.sessions.read) return unreadable('session-quota', facts.sessions);
  if (!facts.instances.read) return unreadable('session-quota', facts.instances);
  const targetEnis = new Set(
    facts.targets.read ? facts.targets.value.flatMap((t) => (t.networkInterfaceId ? [t.networkInterfaceId] : [])) : [],
  );
  const mirrored = new Set(
    facts.sessions.value.filter((s) => s.tags[MANAGED_TAG] === 'true').map((s) => s.networkInterfaceId),
  );
  const needed = inScopeInterfaces(config, facts.instances.value, targetEnis).filter(
    (c) => c.skip === null && !mirrored.has(c.eni.networkInterfaceId),
  ).length;
  const existing = facts.sessions.value.length;
  const left = quota - existing - needed;
  const detail = `${existing} sessions in the account, ${needed} more for the scope, of ${quota.toLocaleString('en-US')} per account`;
  const fix = 'narrow mirroring.scope, or delete sessions no longer needed (the quota is not adjustable)';
  if (left < 0) return result('session-quota', 'fail', `${detail}: ${-left} over the quota`, fix);
  if (left < quota * LOW_HEADROOM_SHARE) return result('session-quota', 'warn', `${detail}: ${left} left`, fix);
  return result('session-quota', 'ok', `${detail}: ${left} left`);
}

export function checkDeployed(facts: Pick<AccountFacts, 'stateMachines' | 'stage'>): CheckResult {
  if (!facts.stateMachines.read) return unreadable('deployed', facts.stateMachines);
  const expected = stateMachineNames(facts.stage);
  const present = expected.filter((name) => facts.stateMachines.read && facts.stateMachines.value.includes(name));
  if (present.length === expected.length)
    return result('deployed', 'ok', `stage ${facts.stage} is deployed (${expected.length} state machines)`);
  if (present.length === 0)
    return result('deployed', 'skip', `stage ${facts.stage} is not deployed: checks of the deployed stack are skipped`);
  return result(
    'deployed',
    'fail',
    `stage ${facts.stage} is partly deployed: missing ${expected.filter((n) => !present.includes(n)).join(', ')}`,
    `deploy the stage again (serverless deploy --stage ${facts.stage})`,
  );
}

/**
 * What the stage reserves of Lambda's concurrency against the account as it is: Lambda refuses a
 * reservation that leaves fewer than 100 unreserved (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html),
 * and packaging only knew the configured quota.
 */
export function checkLambdaConcurrency(config: Config, facts: Pick<AccountFacts, 'lambdaConcurrency'>): CheckResult {
  if (!facts.lambdaConcurrency.read) return unreadable('lambda-concurrency', facts.lambdaConcurrency);
  const { concurrentExecutions, unreserved, reservedByStage } = facts.lambdaConcurrency.value;
  const wanted = totalReserved(config);
  const configured = config.quotas.lambdaConcurrentExecutions;
  // The stage's own reservation comes back to the pool when it is deployed again with the new one.
  const room = unreserved + reservedByStage - LAMBDA_MINIMUM_UNRESERVED;
  const account = `the account has ${concurrentExecutions} concurrent executions, ${unreserved} unreserved`;
  if (wanted > room) {
    return result(
      'lambda-concurrency',
      'fail',
      `the stage reserves ${wanted} (webhook and Slack) and ${account}${reservedByStage ? ` (${reservedByStage} of the reserved are this stage's)` : ''}: ` +
        `Lambda keeps ${LAMBDA_MINIMUM_UNRESERVED} unreserved, so at most ${Math.max(0, room)} fit and the deploy would fail`,
      `lower detections.webhook.reservedConcurrency by ${wanted - room}, or ask AWS for a higher Lambda concurrency quota`,
    );
  }
  if (configured > concurrentExecutions) {
    return result(
      'lambda-concurrency',
      'warn',
      `quotas.lambdaConcurrentExecutions is ${configured} but ${account}: packaging checks against a quota the account does not have`,
      `set quotas.lambdaConcurrentExecutions: ${concurrentExecutions}`,
    );
  }
  const note =
    configured < concurrentExecutions ? `; quotas.lambdaConcurrentExecutions could be ${concurrentExecutions}` : '';
  return result('lambda-concurrency', 'ok', `the stage reserves ${wanted} and ${account}${note}`);
}

/** Every check, in the order an operator fixes things. */
export function diagnose(config: Config, facts: AccountFacts): CheckResult[] {
  return [
    checkDeployed(facts),
    checkFilter(config, facts.filter),
    ...checkOverrideFilters(config, facts.overrideFilters),
    ...checkTargets(config, facts),
    ...checkTargetPaths(config, facts),
    checkZones(config, facts),
    checkTrail(facts),
    checkInstanceTypes(config, facts),
    checkSessionQuota(config, facts),
    checkLambdaConcurrency(config, facts),
    ...checkSecrets(config, facts),
    checkOpsSubscriptions(config, facts),
  ];
}

export const failed = (results: readonly CheckResult[]): boolean => results.some((r) => r.verdict === 'fail');
