import {
  describeExecution,
  findStateMachineArn,
  stepFunctionsClient,
  startExecution,
  type ExecutionState,
} from '../src/aws/stepfunctions.ts';
import { ENI_ID, INSTANCE_ID, tooManyIds } from '../src/mirroring/input.ts';
import type { EniResult } from '../src/mirroring/types.ts';
import { parseCommandArgs } from './args.ts';
import { applyAwsOptions, awsOptions, requireAwsAccess } from './aws-options.ts';
import { CommandError, UsageError } from './errors.ts';
import { stageNames } from './stage.ts';
import { didYouMean } from './suggest.ts';
import { resultsTable } from './table.ts';

/** Polling DescribeExecution: first pause, growth, cap; the whole wait is bounded by --timeout. */
const FIRST_POLL_MS = 500;
const POLL_CAP_MS = 10_000;
const DEFAULT_TIMEOUT_SECONDS = 900;

export function consoleUrl(region: string, executionArn: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** The console's own input forms (README, "Running it by hand"). */
export function rerunInput(
  instanceIds: string[],
  networkInterfaceIds: string[],
  dryRun: boolean,
): Record<string, unknown> {
  return {
    ...(instanceIds.length > 0 ? { instanceIds } : {}),
    ...(networkInterfaceIds.length > 0 ? { networkInterfaceIds } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  };
}

function checkIds(flag: string, ids: string[], pattern: RegExp, kind: string): void {
  for (const id of ids)
    if (!pattern.test(id)) throw new UsageError(`rerun: ${flag} ${JSON.stringify(id)} is not ${kind}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitForEnd(executionArn: string, timeoutMs: number): Promise<ExecutionState> {
  const deadline = Date.now() + timeoutMs;
  let pause = FIRST_POLL_MS;
  for (;;) {
    const execution = await describeExecution(executionArn);
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return execution;
    const left = deadline - Date.now();
    if (left <= 0) return execution;
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, POLL_CAP_MS);
  }
}

function parseOutput(text: string | undefined): { results?: EniResult[] } | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as { results?: EniResult[] };
  } catch {
    return null;
  }
}

/**
 * `autotap rerun`: starts the deployed mirror-instances state machine for some instances or ENIs,
 * as the console's Start execution would, and optionally waits for the per-ENI outcomes.
 */
export async function rerunCommand(args: string[], root?: string): Promise<number> {
  const { values } = parseCommandArgs('rerun', {
    args,
    options: {
      instance: { type: 'string', multiple: true, default: [] },
      eni: { type: 'string', multiple: true, default: [] },
      stage: { type: 'string', default: 'dev' },
      'dry-run': { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...awsOptions,
    },
  });
  applyAwsOptions(values);
  const instanceIds = values.instance;
  const networkInterfaceIds = values.eni;
  if (instanceIds.length === 0 && networkInterfaceIds.length === 0)
    throw new UsageError('rerun: give --instance i-... or --eni eni-...');
  if (instanceIds.length > 0 && networkInterfaceIds.length > 0)
    throw new UsageError('rerun: give either --instance or --eni, not both');
  checkIds('--instance', instanceIds, INSTANCE_ID, 'an instance id (i-...)');
  checkIds('--eni', networkInterfaceIds, ENI_ID, 'a network interface id (eni-...)');
  const tooMany = tooManyIds(instanceIds.length, networkInterfaceIds.length);
  if (tooMany) throw new UsageError(`rerun: ${tooMany}`);
  const timeoutSeconds = values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new UsageError(`rerun: --timeout ${JSON.stringify(values.timeout)} is not a number of seconds`);

  const region = await requireAwsAccess(stepFunctionsClient().config);
  const name = `autotap-${values.stage}-mirror-instances`;
  const stateMachineArn = await findStateMachineArn(name);
  if (!stateMachineArn) {
    const stages = root === undefined ? [] : stageNames(root);
    const known =
      stages.length > 0 ? `; the stages of this checkout: ${stages.join(', ')}${didYouMean(values.stage, stages)}` : '';
    throw new CommandError(
      `no state machine ${name} in ${region}: is autotap deployed with stage "${values.stage}" in this account and region? (--stage S picks another stage${known})`,
    );
  }
  const input = rerunInput(instanceIds, networkInterfaceIds, values['dry-run']);
  const executionArn = await startExecution(stateMachineArn, input);
  const link = consoleUrl(region, executionArn);
  if (!values.json) {
    const what =
      instanceIds.length > 0 ? `instance(s) ${instanceIds.join(', ')}` : `ENI(s) ${networkInterfaceIds.join(', ')}`;
    process.stdout.write(
      `Started ${name} for ${what}${values['dry-run'] ? ' (dry run: nothing is created)' : ''}.\nExecution: ${executionArn}\nConsole:   ${link}\n`,
    );
  }
  if (!values.wait) {
    if (values.json) process.stdout.write(`${JSON.stringify({ executionArn, consoleUrl: link, input }, null, 2)}\n`);
    return 0;
  }

  const execution = await waitForEnd(executionArn, timeoutSeconds * 1000);
  const output = parseOutput(execution.output);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ executionArn, consoleUrl: link, input, status: execution.status, output, error: execution.error ?? null, cause: execution.cause ?? null }, null, 2)}\n`,
    );
  } else if (execution.status === 'RUNNING') {
    process.stdout.write(`\nStill running after ${timeoutSeconds} s; follow it in the console.\n`);
  } else {
    process.stdout.write(`\nStatus: ${execution.status}\n`);
    if (execution.error)
      process.stdout.write(`Error: ${execution.error}${execution.cause ? `: ${execution.cause}` : ''}\n`);
    const results = output?.results ?? [];
    if (results.length > 0) process.stdout.write(`\n${resultsTable(results)}\n`);
  }
  return execution.status === 'SUCCEEDED' ? 0 : 1;
}
