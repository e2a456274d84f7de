import type { Config } from '../config/schema.ts';
import { configuredSecrets, isDeployed, opsTopicName } from '../doctor/checks.ts';
import { known, type AccountFacts, type Fact, type FilterFacts, type TargetFacts } from '../doctor/facts.ts';
import {
  describeAllSessions,
  describeLiveInstances,
  describeMirrorFilter,
  describeSecurityGroupRules,
  describeTargetDetails,
  describeTargetInterfaces,
  describeVpcCidrs,
} from './ec2.ts';
import { overrideFilterIds } from '../mirroring/session-choices.ts';
import { describeTrails } from './cloudtrail.ts';
import { describeLoadBalancers } from './elbv2.ts';
import { PermissionMissing } from './permissions.ts';
import { secretExists } from './secrets.ts';
import { findTopicArn, listSubscriptions } from './sns.ts';
import { accountConcurrency, functionRoleArn, reservedConcurrency, roleMay } from './function-access.ts';
import { reservedConcurrencies } from '../config/quotas.ts';
import { listStateMachineNames } from './stepfunctions.ts';

/**
 * Reads what `autotap doctor` judges, with Describe / List / Get calls only. A call AWS refuses or
 * that fails becomes a fact that could not be read (with the missing IAM action), never a crash:
 * the other checks still run.
 */
export async function readFact<T>(read: () => Promise<T>): Promise<Fact<T>> {
  try {
    return known(await read());
  } catch (error) {
    if (error instanceof PermissionMissing) return { read: false, reason: error.message, action: error.action };
    const { name, message } = error as Error;
    return { read: false, reason: `${name}: ${message}` };
  }
}

/** The targets the configuration uses: listed by id, or carrying its target tag. */
function usedTargets(config: Config, targets: Fact<TargetFacts[]>): TargetFacts[] {
  if (!targets.read) return [];
  const ids = new Set(config.mirroring.targets.map((t) => t.id));
  const tag = config.mirroring.targetTag;
  return targets.value.filter(
    (t) => ids.has(t.trafficMirrorTargetId) || (tag !== undefined && t.tags[tag.key] === tag.value),
  );
}

export async function readAccountFacts(config: Config, stage: string, region: string): Promise<AccountFacts> {
  const mirroring = config.mirroring;
  const filterId: string | undefined = mirroring.filterId;
  const filter = filterId === undefined ? known(undefined) : await readFact(() => describeMirrorFilter(filterId));
  const overrideFilters = new Map<string, Fact<FilterFacts | undefined>>();
  for (const id of overrideFilterIds(mirroring))
    overrideFilters.set(id, await readFact(() => describeMirrorFilter(id)));
  const targets = await readFact(() => describeTargetDetails());
  const used = usedTargets(config, targets);
  const interfaceIds = used.flatMap((t) =>
    t.kind === 'network-interface' && t.networkInterfaceId ? [t.networkInterfaceId] : [],
  );
  const targetInterfaces = await readFact(() => describeTargetInterfaces(interfaceIds));
  const groupIds = targetInterfaces.read ? targetInterfaces.value.flatMap((i) => i.securityGroupIds) : [];
  const securityGroups = await readFact(() => describeSecurityGroupRules(groupIds));
  const balancerArns = used.flatMap((t) => (t.networkLoadBalancerArn ? [t.networkLoadBalancerArn] : []));
  const loadBalancers = await readFact(() => describeLoadBalancers(balancerArns));
  const instances = await readFact(() => describeLiveInstances(mirroring.scope.vpcIds));
  const sourceVpcIds = instances.read
    ? instances.value.flatMap((i) =>
        [i.vpcId, ...i.networkInterfaces.map((n) => n.vpcId)].filter((id): id is string => id !== undefined),
      )
    : [];
  // Only needed to judge an ENI target's security group rules.
  const vpcs = interfaceIds.length === 0 ? known([]) : await readFact(() => describeVpcCidrs(sourceVpcIds));
  const sessions = await readFact(() => describeAllSessions());
  const trails = await readFact(() => describeTrails());
  const stateMachines = await readFact(() => listStateMachineNames());
  const opsSubscriptions = await readFact(async () => {
    const topicArn = await findTopicArn(opsTopicName(stage));
    return topicArn === undefined ? undefined : listSubscriptions(topicArn);
  });
  const deployed = isDeployed({ stateMachines, stage });
  const secrets = await readFact(() =>
    Promise.all(
      configuredSecrets(config, stage).map(async (s) => {
        const exists = await secretExists(s.arn);
        if (!exists || !deployed) return { arn: s.arn, exists };
        // A function missing from a deployed stack cannot read anything: deploying again adds it.
        const readableByFunction = await readFact(async () => {
          const role = await functionRoleArn(s.functionName);
          return role !== undefined && (await roleMay(role, 'secretsmanager:GetSecretValue', s.arn));
        });
        return { arn: s.arn, exists, readableByFunction };
      }),
    ),
  );
  const lambdaConcurrency = await readFact(async () => {
    const account = await accountConcurrency();
    const reserved = await Promise.all(
      Object.keys(reservedConcurrencies(config)).map((key) => reservedConcurrency(`autotap-${stage}-${key}`)),
    );
    return { ...account, reservedByStage: reserved.reduce((sum, n) => sum + n, 0) };
  });
  return {
    region,
    stage,
    filter,
    overrideFilters,
    targets,
    targetInterfaces,
    securityGroups,
    loadBalancers,
    vpcs,
    instances,
    sessions,
    trails,
    stateMachines,
    opsSubscriptions,
    secrets,
    lambdaConcurrency,
  };
}
