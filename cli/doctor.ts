import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAccountFacts } from '../src/aws/account-facts.ts';
import { ec2Client } from '../src/aws/ec2.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { diagnose, failed, type CheckResult, type Verdict } from '../src/doctor/checks.ts';

/**
 * `autotap doctor --stage S`: checks the account against config/<S>.yml, before and after deploy.
 * Read-only (Describe / List / Get calls). Exit 0 when no check fails, 1 when one does, 2 when it
 * could not run at all (bad options, no configuration, no region or credentials).
 */

export const DOCTOR_USAGE = 'autotap doctor --stage S [--config FILE] [--region R] [--profile P] [--json]';

const VERDICTS: Verdict[] = ['ok', 'warn', 'fail', 'skip'];

function line(r: CheckResult): string {
  const what = r.subject ? `${r.check} ${r.subject}` : r.check;
  return `${r.verdict.toUpperCase().padEnd(4)}  ${what}: ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}`;
}

/** The region the SDK resolves, or why it cannot run (no region, no credentials), said plainly. */
async function resolveAccess(): Promise<{ region: string } | { problem: string }> {
  const config = ec2Client().config;
  const region = await config.region().catch(() => undefined);
  if (!region) return { problem: 'no AWS region: pass --region R or set AWS_REGION' };
  const credentials = await config.credentials().then(
    () => true,
    () => false,
  );
  if (!credentials) return { problem: 'no AWS credentials: pass --profile P, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY' };
  return { region };
}

export async function doctorCommand(args: string[], root: string): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        stage: { type: 'string' },
        config: { type: 'string' },
        region: { type: 'string' },
        profile: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: ${DOCTOR_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`usage: ${DOCTOR_USAGE}\n\nChecks the AWS account against the stage's configuration: filter, targets, UDP 4789 paths,\nCloudTrail, instance types, session quota, secrets, ops subscriptions. Exit 1 when a check fails.\n`);
    return 0;
  }
  if (!values.stage) {
    process.stderr.write(`--stage S is required: the stage names the deployed resources\nusage: ${DOCTOR_USAGE}\n`);
    return 2;
  }
  const stage = values.stage;
  let config;
  try {
    config = loadConfigFile(values.config ?? join(root, 'config', `${stage}.yml`));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  // The SDK reads these when the clients are created, as the AWS CLI's options of the same names.
  if (values.region) process.env.AWS_REGION = values.region;
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const access = await resolveAccess();
  if ('problem' in access) {
    process.stderr.write(`${access.problem}\n`);
    return 2;
  }

  const results = diagnose(config, await readAccountFacts(config, stage, access.region));
  const summary = Object.fromEntries(VERDICTS.map((v) => [v, results.filter((r) => r.verdict === v).length])) as Record<Verdict, number>;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ stage, region: access.region, checks: results, summary }, null, 2)}\n`);
  } else {
    process.stdout.write(`autotap doctor: stage ${stage}, region ${access.region}\n\n${results.map(line).join('\n')}\n\n${VERDICTS.map((v) => `${v}: ${summary[v]}`).join(', ')}\n`);
  }
  return failed(results) ? 1 : 0;
}
