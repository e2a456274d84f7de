import { parseArgs } from 'node:util';
import { join } from 'node:path';
import * as ec2 from '../../src/aws/ec2.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { planAccount } from '../../src/mirroring/plan-account.ts';
import { publicAction } from '../../src/mirroring/reconcile.ts';
import { startEmulator } from '../emulator/index.ts';
import { readScenarioFile } from '../scenario.ts';
import { table } from './render.ts';

export class CommandError extends Error {
  override name = 'CommandError';
}

/** Fails with a message a user can act on when the SDK cannot find a region or credentials. */
export async function requireAwsAccess(): Promise<string> {
  const client = ec2.ec2Client();
  let region: string;
  try {
    region = await client.config.region();
  } catch {
    throw new CommandError('no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your AWS profile)');
  }
  try {
    await client.config.credentials();
  } catch {
    throw new CommandError('no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or use --scenario FILE to plan against a local scenario)');
  }
  return region;
}

/**
 * `autotap plan`: the reconciler's decisions, read-only, against the caller's account or a scenario.
 * It only calls Describe* actions.
 */
export async function planCommand(args: string[], root: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      stage: { type: 'string', default: 'dev' },
      config: { type: 'string' },
      scenario: { type: 'string' },
      vpc: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const scenario = values.scenario ? readScenarioFile(values.scenario) : undefined;
  const config: Config = values.config
    ? loadConfigFile(values.config)
    : (scenario?.config ?? loadConfigFile(join(root, 'config', `${values.stage}.yml`)));

  const emulator = scenario ? await startEmulator(scenario.seed) : undefined;
  try {
    if (emulator) Object.assign(process.env, emulator.env());
    else await requireAwsAccess();
    const actions = (await planAccount(config.mirroring, ec2, values.vpc)).map(publicAction);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ actions }, null, 2)}\n`);
    } else {
      const counts = new Map<string, number>();
      for (const a of actions) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
      process.stdout.write(
        `${table(
          ['action', 'instance', 'ENI', 'reason', 'number', 'target', 'session'],
          actions.map((a) => [
            a.action,
            a.instanceId || '-',
            a.networkInterfaceId,
            a.reason ?? '',
            a.sessionNumber !== undefined ? String(a.sessionNumber) : '',
            a.trafficMirrorTargetId ?? '',
            a.trafficMirrorSessionId ?? '',
          ]),
        )}\n\n${actions.length === 0 ? 'Nothing to do: the account matches the configuration.' : [...counts].map(([k, v]) => `${k}: ${v}`).join(', ')}\n`,
      );
    }
    return 0;
  } finally {
    await emulator?.close();
  }
}
