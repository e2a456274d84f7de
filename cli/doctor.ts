import { readAccountFacts } from '../src/aws/account-facts.ts';
import { ec2Client } from '../src/aws/ec2.ts';
import { diagnose, failed, type CheckResult, type Verdict } from '../src/doctor/checks.ts';
import { parseCommandArgs } from './args.ts';
import { applyAwsOptions, awsOptions, requireAwsAccess } from './aws-options.ts';
import { EXIT, UsageError } from './errors.ts';
import { commandConfig } from './stage.ts';

/**
 * `autotap doctor --stage S`: checks the account against config/<S>.yml, before and after deploy.
 * Read-only (Describe / List / Get calls). Exit 0 when no check fails, 1 when one does; when it cannot
 * run at all (bad options, no configuration, no region or credentials) it throws, and autotap exits 2.
 */

const VERDICTS: Verdict[] = ['ok', 'warn', 'fail', 'skip'];

function line(r: CheckResult): string {
  const what = r.subject ? `${r.check} ${r.subject}` : r.check;
  return `${r.verdict.toUpperCase().padEnd(4)}  ${what}: ${r.detail}${r.fix ? `\n      fix: ${r.fix}` : ''}`;
}

export async function doctorCommand(args: string[], root: string): Promise<number> {
  const { values } = parseCommandArgs('doctor', {
    args,
    options: {
      stage: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...awsOptions,
    },
  });
  // No default stage: doctor reads the deployed resources by the stage's name.
  if (values.stage === undefined)
    throw new UsageError('doctor: --stage S is required: the stage names the deployed resources');
  const stage = values.stage;
  applyAwsOptions(values);
  const config = commandConfig({ ...values, stage }, root);
  const region = await requireAwsAccess(ec2Client().config);

  const results = diagnose(config, await readAccountFacts(config, stage, region));
  const summary = Object.fromEntries(VERDICTS.map((v) => [v, results.filter((r) => r.verdict === v).length])) as Record<
    Verdict,
    number
  >;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ stage, region, checks: results, summary }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `autotap doctor: stage ${stage}, region ${region}\n\n${results.map(line).join('\n')}\n\n${VERDICTS.map((v) => `${v}: ${summary[v]}`).join(', ')}\n`,
    );
  }
  return failed(results) ? EXIT.failed : EXIT.ok;
}
