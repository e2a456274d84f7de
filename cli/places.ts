import { EC2Client } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { ParseArgsOptionsConfig } from 'node:util';
import * as ec2 from '../src/aws/ec2.ts';
import { ec2In, mirroringIn, partitionOf, type Place } from '../src/aws/places.ts';
import { mirroringOf } from '../src/config/created.ts';
import type { Config, MirroringConfig } from '../src/config/schema.ts';
import type { AccountPorts } from '../src/mirroring/reconcile-round.ts';
import type { ApplyPorts } from '../src/mirroring/apply.ts';
import { CommandError, UsageError } from './errors.ts';

/**
 * `--account A` of the read-only commands (`plan`, `status`): the account of an organization to
 * look at, in the Region of `--region` (or the profile's). The caller's own account is read with its
 * own credentials; another one through a role of that account the caller may assume, by default
 * OrganizationAccountAccessRole, the role Organizations creates in the accounts it creates and that
 * trusts the management account
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html).
 * Only Describe* calls are made with it.
 */

export const placeOptions = {
  account: { type: 'string' },
  'role-name': { type: 'string', default: 'OrganizationAccountAccessRole' },
} satisfies ParseArgsOptionsConfig;

export const PLACE_OPTIONS_USAGE = '[--account A [--role-name NAME]]';

/** Where a command looks, and with what: the ports and the mirroring section as they apply there. */
export interface CommandPlace {
  place?: Place;
  mirroring: MirroringConfig;
  ports: AccountPorts & ApplyPorts;
}

export async function commandPlace(
  command: string,
  config: Config,
  stage: string,
  region: string,
  values: { account?: string | undefined; 'role-name': string },
): Promise<CommandPlace> {
  if (values.account === undefined) return { mirroring: mirroringOf(config), ports: ec2 };
  const org = config.organization;
  if (!org)
    throw new UsageError(
      `${command}: --account needs an organization: section in the configuration (docs/organization.md)`,
    );
  if (!/^\d{12}$/.test(values.account))
    throw new UsageError(`${command}: --account ${values.account}: expected an AWS account ID of 12 digits`);
  if (!/^[\w+=,.@-]{1,64}$/.test(values['role-name']))
    throw new UsageError(`${command}: --role-name ${values['role-name']}: expected an IAM role name`);
  const place = { accountId: values.account, region };
  const caller = await callerAccount();
  const roleArn = `arn:${partitionOf(region)}:iam::${place.accountId}:role/${values['role-name']}`;
  const client =
    caller === place.accountId
      ? new EC2Client({ region })
      : new EC2Client({
          region,
          credentials: fromTemporaryCredentials({
            params: { RoleArn: roleArn, RoleSessionName: `autotap-${command}` },
            clientConfig: { region },
          }),
        });
  try {
    const mirroring = await mirroringIn(mirroringOf(config), place, org, client, stage);
    return { place, mirroring, ports: ec2In(client, place, org) };
  } catch (error) {
    const { name, message } = error as Error;
    if (/AccessDenied|not authorized/i.test(`${name} ${message}`))
      throw new CommandError(
        `${command}: could not read account ${place.accountId} (${region}) through ${roleArn}: ${message}. ` +
          'Pass --role-name with a role there that your credentials may assume, or --profile with credentials of that account',
      );
    throw error;
  }
}

async function callerAccount(): Promise<string | undefined> {
  const sts = new STSClient({});
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } finally {
    sts.destroy();
  }
}
