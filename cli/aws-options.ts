import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ParseArgsOptionsConfig } from 'node:util';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { CommandError, UsageError } from './errors.ts';

/**
 * `--region` and `--profile`, shared by every command that reaches AWS. They set the standard
 * variables the SDK reads (AWS_REGION, AWS_PROFILE), so every client the command creates afterwards
 * (and every adapter in src/aws) uses them, as the AWS CLI's options of the same names do.
 */
export const awsOptions = {
  region: { type: 'string' },
  profile: { type: 'string' },
} satisfies ParseArgsOptionsConfig;

export const AWS_OPTIONS_USAGE = '[--region R] [--profile P]';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function applyAwsOptions(values: { region?: string | undefined; profile?: string | undefined }): void {
  if (values.region !== undefined) {
    if (!REGION.test(values.region))
      throw new UsageError(`--region: expected a region like us-east-1, got "${values.region}"`);
    process.env.AWS_REGION = values.region;
  }
  if (values.profile !== undefined) {
    if (values.profile.trim() === '') throw new UsageError('--profile: expected a profile name, got ""');
    process.env.AWS_PROFILE = values.profile;
  }
}

/** Where the SDK reads profiles from (the variables override the default paths). */
function profileFiles(): { config: string; credentials: string } {
  return {
    config: process.env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config'),
    credentials: process.env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), '.aws', 'credentials'),
  };
}

interface SdkConfig {
  region(): Promise<string>;
  credentials(): Promise<unknown>;
}

/**
 * Fails with a message a user can act on when the SDK has no region or credentials, before any call:
 * a named profile that neither file holds, no region, no credentials. Returns the region.
 */
export async function requireAwsAccess(config: SdkConfig): Promise<string> {
  const profile = process.env.AWS_PROFILE;
  if (profile !== undefined) {
    const files = profileFiles();
    const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
    if (!configFile[profile] && !credentialsFile[profile]) {
      const known = [...new Set([...Object.keys(configFile), ...Object.keys(credentialsFile)])].filter(
        (name) => !name.includes('.'),
      );
      throw new CommandError(
        `AWS profile "${profile}" was not found in ${files.config} or ${files.credentials}` +
          (known.length > 0 ? ` (profiles there: ${known.sort().join(', ')})` : ' (no profiles there)') +
          '; pass --profile NAME with one of them, or run `aws configure --profile ' +
          profile +
          '`',
      );
    }
  }
  let region: string;
  try {
    region = await config.region();
  } catch {
    throw new CommandError(
      `no AWS region: pass --region R, or set AWS_REGION${profile ? `, or a region in profile "${profile}"` : ' (or a region in your AWS profile)'}`,
    );
  }
  try {
    await config.credentials();
  } catch (error) {
    if (profile !== undefined) {
      throw new CommandError(
        `AWS profile "${profile}" gives no credentials (${(error as Error).message}): it needs keys, an SSO login (aws sso login --profile ${profile}), a role or a credential_process`,
      );
    }
    throw new CommandError(
      'no AWS credentials: pass --profile P (a profile of ~/.aws/config), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  return region;
}
