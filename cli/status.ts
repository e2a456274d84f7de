import { writeFileSync } from 'node:fs';
import type { ParseArgsOptionsConfig } from 'node:util';
import * as ec2 from '../src/aws/ec2.ts';
import { mirroringOf } from '../src/config/created.ts';
import type { Config } from '../src/config/schema.ts';
import { planAccountWithSnapshot } from '../src/mirroring/plan-account.ts';
import { accountStatus, type AccountStatus } from '../src/mirroring/status.ts';
import { parseCommandArgs } from './args.ts';
import { applyAwsOptions, awsOptions, requireAwsAccess } from './aws-options.ts';
import { commandPlace, placeOptions, type CommandPlace } from './places.ts';
import { dollars } from './plan.ts';
import { commandConfig } from './stage.ts';
import { renderStatusPage } from './status-page.ts';
import { table } from './table.ts';

/** The options of `status` against an account; `--scenario` is added where the local AWS is at hand. */
export const statusOptions = {
  stage: { type: 'string', default: 'dev' },
  config: { type: 'string' },
  vpc: { type: 'string', multiple: true, default: [] as string[] },
  json: { type: 'boolean', default: false },
  html: { type: 'string' },
  ...awsOptions,
  ...placeOptions,
} satisfies ParseArgsOptionsConfig;

export interface StatusRequest {
  config: Config;
  stage: string;
  vpcIds: string[];
  json: boolean;
  /** Also write the page here. */
  html?: string;
  /** When the snapshot was taken (default now). */
  now?: Date;
  /** An organization's account (`--account`); absent: the caller's. */
  at?: CommandPlace;
}

const share = (mirrored: number, inScope: number) =>
  inScope === 0 ? '-' : `${((100 * mirrored) / inScope).toFixed(1)}%`;

/** The text output: the headline, then a table per view. */
export function renderStatusText(status: AccountStatus, stage: string): string {
  const { enis } = status;
  const lines = [
    `autotap ${stage}: ${status.coveragePercent === null ? 'no ENI in scope' : `${status.coveragePercent}% of the in-scope ENIs mirrored`} (${enis.mirrored} of ${enis.inScope}; ${enis.outOfScope} of ${enis.running} running ENIs out of scope).`,
    `autotap's sessions: ${status.sessions.autotap}, ${dollars(status.sessions.hourlyUsd)} an hour at ${dollars(status.sessions.sessionHourlyPriceUsd)} per session-hour.`,
  ];
  if (status.notMirrored.length > 0)
    lines.push(
      '',
      table(
        ['not mirrored because', 'ENIs'],
        status.notMirrored.map((r) => [r.reason, String(r.enis)]),
      ),
    );
  lines.push(
    '',
    table(
      ['VPC', 'in scope', 'mirrored', 'share'],
      status.byVpc.map((v) => [v.vpcId, String(v.inScope), String(v.mirrored), share(v.mirrored, v.inScope)]),
    ),
    '',
    table(
      ['zone', 'in scope', 'mirrored', 'share'],
      status.byZone.map((z) => [
        z.availabilityZone,
        String(z.inScope),
        String(z.mirrored),
        share(z.mirrored, z.inScope),
      ]),
    ),
    '',
    table(
      ['target', 'kind', 'zone', 'sources', 'takes', 'load'],
      status.targets.map((t) => [
        t.trafficMirrorTargetId,
        t.kind,
        t.availabilityZone ?? 'any',
        String(t.sources),
        t.maxSources === undefined ? 'no limit' : String(t.maxSources),
        t.loadPercent === undefined ? '-' : `${t.loadPercent}%`,
      ]),
    ),
  );
  lines.push(
    '',
    status.sessionsWithoutReason.length === 0
      ? 'Every autotap session has a reason to exist.'
      : `autotap sessions without a reason to exist (the next reconcile deletes them):\n${table(
          ['session', 'ENI', 'instance', 'why'],
          status.sessionsWithoutReason.map((s) => [
            s.trafficMirrorSessionId,
            s.networkInterfaceId,
            s.instanceId || '-',
            s.reason,
          ]),
        )}`,
  );
  return lines.join('\n');
}

/**
 * The status of whatever EC2 endpoint the environment names (a real account, or the local AWS);
 * only Describe* actions are called, the same a reconcile round makes.
 */
export async function runStatus(request: StatusRequest): Promise<number> {
  const mirroring = request.at?.mirroring ?? mirroringOf(request.config);
  const planned = await planAccountWithSnapshot(
    mirroring,
    request.at?.ports ?? ec2,
    request.vpcIds,
    undefined,
    request.at?.place?.accountId,
  );
  const status = accountStatus(planned.snapshot, planned.actions, mirroring);
  const takenAt = (request.now ?? new Date()).toISOString();
  if (request.html !== undefined)
    writeFileSync(request.html, renderStatusPage(status, { stage: request.stage, takenAt }));
  const place = request.at?.place ? { place: request.at.place } : {};
  if (request.json)
    process.stdout.write(`${JSON.stringify({ stage: request.stage, ...place, takenAt, ...status }, null, 2)}\n`);
  else
    process.stdout.write(
      `${request.at?.place ? `Account ${request.at.place.accountId}, ${request.at.place.region}:\n\n` : ''}${renderStatusText(status, request.stage)}\n${request.html ? `\nPage: ${request.html}\n` : ''}`,
    );
  return 0;
}

/** `autotap status` against the account of the caller's credentials. */
export async function statusCommand(args: string[], root: string): Promise<number> {
  const { values } = parseCommandArgs('status', { args, options: statusOptions });
  applyAwsOptions(values);
  const config = commandConfig(values, root);
  const region = await requireAwsAccess(ec2.ec2Client().config);
  const at = await commandPlace('status', config, values.stage, region, values);
  return runStatus({
    config,
    at,
    stage: values.stage,
    vpcIds: values.vpc,
    json: values.json,
    ...(values.html !== undefined ? { html: values.html } : {}),
  });
}
