import { join } from 'node:path';
import { parseCommandArgs } from '../cli/args.ts';
import { UsageError } from '../cli/errors.ts';
import { operatorCommands, type CommandTable } from '../cli/main.ts';
import { PLAN_USAGE, STATUS_USAGE, UNINSTALL_USAGE } from '../cli/usage.ts';

/**
 * The commands that run on the local AWS, added to the operator commands of cli/: simulate, demo,
 * bench, `plan --scenario` and `uninstall --scenario`. This module may import cli/; cli/ never imports local/.
 */

const SIMULATE_USAGE = `  simulate --scenario FILE [--config FILE] [--json]
      Seed the local AWS from a scenario, run its events through the real state machines,
      and print what happened (a table, or one JSON document with --json).
`;

const DEMO_USAGE = `  demo
      Run the built-in demo (what \`npm start\` does).
`;

const BENCH_SUMMARY = `  bench [--quick] [options]
      Benchmark a launch burst through the real workflow and the Lambda bundles; writes
      bench/results.json (what \`npm run bench\` does). \`autotap bench --help\` lists the options.
`;

/**
 * What the local commands run, loaded on demand: the emulator, the runner and the plan code are
 * not needed for --help or --version.
 */
async function load() {
  const [{ loadConfigFile }, { startEmulator }, { renderSimulation }, { readScenarioFile }, { simulate }] =
    await Promise.all([
      import('../src/config/load.ts'),
      import('./emulator/index.ts'),
      import('./render-simulation.ts'),
      import('./scenario.ts'),
      import('./simulate.ts'),
    ]);
  return { loadConfigFile, startEmulator, renderSimulation, readScenarioFile, simulate };
}

async function simulateCommand(args: string[], root: string): Promise<number> {
  const { values } = parseCommandArgs('simulate', {
    args,
    options: { scenario: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.scenario) throw new UsageError('simulate: --scenario FILE is required');
  const { loadConfigFile, readScenarioFile, renderSimulation, simulate } = await load();
  const scenario = readScenarioFile(values.scenario);
  const config = values.config
    ? loadConfigFile(values.config)
    : (scenario.config ?? loadConfigFile(join(root, 'config', 'dev.yml')));
  const report = await simulate(scenario, config);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSimulation(report)}\n`);
  return 0;
}

async function demoCommand(args: string[], root: string): Promise<number> {
  parseCommandArgs('demo', { args, options: {} });
  const { readScenarioFile, renderSimulation, simulate } = await load();
  const { renderDetectionsDemo } = await import('../cli/detections.ts');
  const scenarioPath = join(root, 'scenarios', 'demo.yml');
  const scenario = readScenarioFile(scenarioPath);
  if (!scenario.config) throw new Error(`${scenarioPath}: the demo scenario must embed its config`);
  console.log('autotap demo: a small VPC on a local AWS (no account, no network needed).');
  console.log('Scenario: scenarios/demo.yml. Each event runs the real mirror-instances state machine and Lambdas.\n');
  const report = await simulate(scenario, scenario.config);
  console.log(renderSimulation(report));
  const samples = 'events/detections/extrahop-detections.json';
  console.log(`\nDetections: the appliance's sample deliveries (${samples}) through the fan-out, nothing sent.`);
  console.log(renderDetectionsDemo(join(root, samples), 'https://extrahop.example.com'));
  console.log('\nTry your own: npx autotap simulate --scenario scenarios/demo.yml --json');
  console.log(`             npx autotap detections preview ${samples}`);
  console.log('Deploy to your account: see README.md, "Deploy".');
  return 0;
}

/**
 * `plan --scenario FILE`: starts the local AWS seeded from the scenario, points the SDK at it, and
 * runs the same plan as against an account. Without --scenario, the account's plan itself.
 */
export async function scenarioPlanCommand(args: string[], root: string): Promise<number> {
  const { planCommand, planConfig, planInstanceIds, planOptions, runPlan } = await import('../cli/plan.ts');
  const { values } = parseCommandArgs('plan', { args, options: { ...planOptions, scenario: { type: 'string' } } });
  if (values.scenario === undefined) return planCommand(args, root);
  if (values.region !== undefined || values.profile !== undefined)
    throw new UsageError('plan: --region and --profile reach an account; --scenario runs on the local AWS');
  const { readScenarioFile, startEmulator } = await load();
  const scenario = readScenarioFile(values.scenario);
  const config = values.config || !scenario.config ? planConfig(values, root) : scenario.config;
  const emulator = await startEmulator(scenario.seed);
  try {
    Object.assign(process.env, emulator.env());
    const instanceIds = planInstanceIds(values.instance);
    return await runPlan({ config, vpcIds: values.vpc, ...(instanceIds ? { instanceIds } : {}), json: values.json });
  } finally {
    await emulator.close();
  }
}

/**
 * `status --scenario FILE`: the scenario's events run on the local AWS (as `simulate` runs them),
 * then the status of the account they left. Without --scenario, the account's status.
 */
export async function scenarioStatusCommand(args: string[], root: string): Promise<number> {
  const { runStatus, statusCommand, statusOptions } = await import('../cli/status.ts');
  const { commandConfig } = await import('../cli/stage.ts');
  const { values } = parseCommandArgs('status', { args, options: { ...statusOptions, scenario: { type: 'string' } } });
  if (values.scenario === undefined) return statusCommand(args, root);
  if (values.region !== undefined || values.profile !== undefined)
    throw new UsageError('status: --region and --profile reach an account; --scenario runs on the local AWS');
  const { readScenarioFile } = await load();
  const { simulate } = await import('./simulate.ts');
  const scenario = readScenarioFile(values.scenario);
  const config = values.config || !scenario.config ? commandConfig(values, root) : scenario.config;
  let code = 1;
  await simulate(scenario, config, async () => {
    code = await runStatus({
      config,
      stage: values.stage,
      vpcIds: values.vpc,
      json: values.json,
      ...(values.html !== undefined ? { html: values.html } : {}),
    });
  });
  return code;
}

/**
 * `uninstall --scenario FILE`: the same uninstall on the local AWS seeded from the scenario (its
 * sessions and rules), to see what it deletes and keeps. Without --scenario, the account's uninstall.
 */
export async function scenarioUninstallCommand(args: string[], root: string): Promise<number> {
  const { adapterAccount, processTerminal, runUninstall, uninstallCommand, uninstallOptions, uninstallRequest } =
    await import('../cli/uninstall.ts');
  const { values } = parseCommandArgs('uninstall', {
    args,
    options: { ...uninstallOptions, scenario: { type: 'string' } },
  });
  if (values.scenario === undefined) return uninstallCommand(args, root);
  if (values.region !== undefined || values.profile !== undefined)
    throw new UsageError('uninstall: --region and --profile reach an account; --scenario runs on the local AWS');
  const options = uninstallRequest(values, root);
  const { readScenarioFile, startEmulator } = await load();
  const emulator = await startEmulator(readScenarioFile(values.scenario).seed);
  try {
    Object.assign(process.env, emulator.env());
    return await runUninstall(options, adapterAccount(), processTerminal());
  } finally {
    await emulator.close();
  }
}

/** Every command of `autotap`, in the order the usage text lists them. */
export const commands: CommandTable = {
  simulate: { usage: SIMULATE_USAGE, run: simulateCommand },
  ...operatorCommands,
  plan: { usage: PLAN_USAGE, run: scenarioPlanCommand },
  status: { usage: STATUS_USAGE, run: scenarioStatusCommand },
  uninstall: { usage: UNINSTALL_USAGE, run: scenarioUninstallCommand },
  demo: { usage: DEMO_USAGE, run: demoCommand },
  bench: {
    usage: BENCH_SUMMARY,
    // Loaded on demand: the benchmark pulls in esbuild, which no other command needs.
    help: async () => (await import('./bench/command.ts')).BENCH_USAGE,
    run: async (args) => (await import('./bench/command.ts')).benchCommand(args),
  },
};
