import type { ParseArgsOptionsConfig } from 'node:util';
import * as ec2 from '../src/aws/ec2.ts';
import { mirroringOf } from '../src/config/created.ts';
import type { Config } from '../src/config/schema.ts';
import { planCost, type PlanCost } from '../src/mirroring/cost.ts';
import { mostlyUnsupportedWarning, scopeCoverage, type ScopeCoverage } from '../src/mirroring/coverage.ts';
import { planAccountWithSnapshot } from '../src/mirroring/plan-account.ts';
import { publicAction } from '../src/mirroring/reconcile.ts';
import { targetInterfaceIdsOf } from '../src/mirroring/targets.ts';
import { INSTANCE_ID } from '../src/mirroring/input.ts';
import { UsageError } from './errors.ts';
import { parseCommandArgs } from './args.ts';
import { applyAwsOptions, awsOptions, requireAwsAccess } from './aws-options.ts';
import { commandPlace, placeOptions, type CommandPlace } from './places.ts';
import { commandConfig } from './stage.ts';
import { ACTION_COLUMNS, actionCells, table } from './table.ts';

/** The options of `plan` against an account; `--scenario` is added where the local AWS is at hand. */
export const planOptions = {
  stage: { type: 'string', default: 'dev' },
  config: { type: 'string' },
  vpc: { type: 'string', multiple: true, default: [] as string[] },
  instance: { type: 'string', multiple: true, default: [] as string[] },
  json: { type: 'boolean', default: false },
  ...awsOptions,
  ...placeOptions,
} satisfies ParseArgsOptionsConfig;

export interface PlanRequest {
  config: Config;
  vpcIds: string[];
  /** Only these instances, as a tag change's reconcile sees them; absent: the account. */
  instanceIds?: string[];
  json: boolean;
  /** An organization's account (`--account`): its ports and mirroring section; absent: the caller's. */
  at?: CommandPlace;
}

/** `--instance i-...` (repeatable): each an instance id, named in the error when it is not one. */
/** Which of the running ENIs are other services': " (2 of load balancers, 1 of other services)" or nothing. */
function serviceShare(coverage: ScopeCoverage): string {
  const parts = [
    ...(coverage.loadBalancerEnis > 0 ? [`${coverage.loadBalancerEnis} of load balancers`] : []),
    ...(coverage.requesterManagedEnis > 0 ? [`${coverage.requesterManagedEnis} of other services`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function planInstanceIds(values: readonly string[]): string[] | undefined {
  if (values.length === 0) return undefined;
  for (const id of values)
    if (!INSTANCE_ID.test(id)) throw new UsageError(`plan: --instance ${id}: expected an instance id (i-...)`);
  return [...new Set(values)];
}

/** The configuration `plan` works from: --config FILE, else config/<stage>.yml. */
export const planConfig = commandConfig;

export const dollars = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** The cost part of the text output: one row per VPC and zone, a total, the cross-zone share. */
export function renderCost(cost: PlanCost): string {
  const lines: string[] = [];
  if (cost.create === 0) {
    lines.push('No session to create.');
  } else {
    lines.push(
      `Sessions to create, by VPC and zone, at ${dollars(cost.sessionHourlyPriceUsd)} per session-hour (${cost.hoursPerMonth} hours a month):`,
    );
    lines.push(
      table(
        ['VPC', 'zone', 'create', 'cross-zone', 'per hour', 'per month'],
        [
          ...cost.byZone.map((z) => [
            z.vpcId,
            z.availabilityZone,
            String(z.create),
            String(z.crossZone),
            dollars(z.hourlyUsd),
            dollars(z.monthlyUsd),
          ]),
          [
            'total',
            '',
            String(cost.create),
            String(cost.crossZone),
            dollars(cost.addedHourlyUsd),
            dollars(cost.addedMonthlyUsd),
          ],
        ],
      ),
    );
    lines.push(
      cost.crossZone === 0
        ? 'Cross-zone: none of the new sessions sends to a target in another zone.'
        : `Cross-zone: ${cost.crossZone} of ${cost.create} new sessions send to a target in another zone; their mirrored packets are billed as inter-zone data transfer.`,
    );
    if (cost.unknownZone > 0) {
      lines.push(
        `Zone unknown: ${cost.unknownZone} new sessions go to a load balancer without availabilityZone in the configuration; where they cross zones depends on the load balancer.`,
      );
    }
  }
  lines.push(
    `autotap's sessions once applied: ${cost.sessionsAfter}, ${dollars(cost.hourlyUsdAfter)} per hour, ${dollars(cost.monthlyUsdAfter)} per month.`,
  );
  return lines.join('\n');
}

/** The scope part of the text output: running instances and ENIs, what each reason skips, and a WARN when most are of unsupported types. */
export function renderCoverage(coverage: ScopeCoverage): string {
  const lines = [
    `Running: ${coverage.running.instances} instances, ${coverage.running.enis} ENIs${serviceShare(coverage)}; in scope: ${coverage.inScope.enis} ENIs; eligible to mirror: ${coverage.eligible.enis} ENIs of ${coverage.eligible.instances} instances.`,
  ];
  if (coverage.skipped.length > 0) {
    lines.push(
      table(
        ['skipped because', 'instances', 'ENIs'],
        coverage.skipped.map((s) => [s.reason, String(s.instances), String(s.enis)]),
      ),
    );
  }
  if (coverage.unsupportedFamilies.length > 0) {
    lines.push(
      `Unsupported instance families (running instances): ${coverage.unsupportedFamilies.map((f) => `${f.family} ${f.instances}`).join(', ')}.`,
    );
  }
  const warning = mostlyUnsupportedWarning(coverage);
  if (warning) lines.push(`WARN ${warning}; see docs/configuration.md, "Which instances".`);
  return lines.join('\n');
}

/**
 * The plan against whatever EC2 endpoint the environment names (a real account, or the local AWS
 * when the local wrapper has pointed the SDK at it). Only Describe* actions are called.
 */
export async function runPlan({ config, vpcIds, instanceIds, json, at }: PlanRequest): Promise<number> {
  const mirroring = at?.mirroring ?? mirroringOf(config);
  const planned = await planAccountWithSnapshot(mirroring, at?.ports ?? ec2, vpcIds, instanceIds, at?.place?.accountId);
  const actions = planned.actions.map(publicAction);
  const cost = planCost(planned.actions, planned.snapshot, mirroring);
  const coverage = scopeCoverage(
    planned.snapshot.instances,
    mirroring.scope,
    targetInterfaceIdsOf(planned.snapshot.targets),
  );
  if (json) {
    const place = at?.place ? { place: at.place } : {};
    process.stdout.write(`${JSON.stringify({ ...place, actions, coverage, cost }, null, 2)}\n`);
    return 0;
  }
  if (at?.place) process.stdout.write(`Account ${at.place.accountId}, ${at.place.region}:\n\n`);
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
  process.stdout.write(
    `${table(
      ['action', ...ACTION_COLUMNS],
      actions.map((a) => [a.action, ...actionCells(a)]),
    )}\n\n${actions.length === 0 ? 'Nothing to do: the account matches the configuration.' : [...counts].map(([k, v]) => `${k}: ${v}`).join(', ')}\n\n${renderCoverage(coverage)}\n\n${renderCost(cost)}\n`,
  );
  return 0;
}

/** `autotap plan` against the account of the caller's credentials. */
export async function planCommand(args: string[], root: string): Promise<number> {
  const { values } = parseCommandArgs('plan', { args, options: planOptions });
  applyAwsOptions(values);
  const config = planConfig(values, root);
  const region = await requireAwsAccess(ec2.ec2Client().config);
  const instanceIds = planInstanceIds(values.instance);
  const at = await commandPlace('plan', config, values.stage, region, values);
  return runPlan({ config, vpcIds: values.vpc, ...(instanceIds ? { instanceIds } : {}), json: values.json, at });
}
