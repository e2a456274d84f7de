import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/load.ts';
import { readScenarioFile } from '../scenario.ts';
import { simulate } from '../simulate.ts';
import { DETECTIONS_USAGE, renderDetectionsDemo, runDetections } from './detections.ts';
import { renderSimulation } from './render.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `usage: autotap <command>

  simulate --scenario FILE [--config FILE] [--json]
      Seed the local AWS from a scenario, run its events through the real state machines,
      and print what happened (a table, or one JSON document with --json).
  plan [--stage S] [--config FILE] [--scenario FILE] [--vpc vpc-...] [--json]
      What the reconciler would create, delete, move or skip, and why; read-only. Against the
      account of your AWS credentials (config/<stage>.yml), or a scenario on the local AWS.
${DETECTIONS_USAGE}  rerun (--instance i-... | --eni eni-...) [--stage S] [--dry-run] [--wait] [--timeout SECONDS] [--json]
      Start the deployed autotap-<stage>-mirror-instances for the given instances or ENIs (repeat the
      flag for several), print the execution ARN and its console link; with --wait, the outcomes.
  demo
      Run the built-in demo (what \`npm start\` does).
  bench [--quick] [options]
      Benchmark a launch burst through the real workflow and the Lambda bundles; writes
      bench/results.json (what \`npm run bench\` does). \`autotap bench --help\` lists the options.
`;

class UsageError extends Error {
  override name = 'UsageError';
}

async function runSimulate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { scenario: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  if (!values.scenario) throw new UsageError('simulate: --scenario FILE is required');
  const scenario = readScenarioFile(values.scenario);
  const config = values.config ? loadConfigFile(values.config) : (scenario.config ?? loadConfigFile(join(ROOT, 'config', 'dev.yml')));
  const report = await simulate(scenario, config);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderSimulation(report)}\n`);
}

async function runDemo(): Promise<void> {
  const scenarioPath = join(ROOT, 'scenarios', 'demo.yml');
  const scenario = readScenarioFile(scenarioPath);
  if (!scenario.config) throw new Error(`${scenarioPath}: the demo scenario must embed its config`);
  console.log('autotap demo: a small VPC on a local AWS (no account, no network needed).');
  console.log('Scenario: scenarios/demo.yml. Each event runs the real mirror-instances state machine and Lambdas.\n');
  const report = await simulate(scenario, scenario.config);
  console.log(renderSimulation(report));
  const samples = 'events/detections/extrahop-detections.json';
  console.log(`\nDetections: the appliance's sample deliveries (${samples}) through the fan-out, nothing sent.`);
  console.log(renderDetectionsDemo(join(ROOT, samples), 'https://extrahop.example.com'));
  console.log('\nTry your own: npx autotap simulate --scenario scenarios/demo.yml --json');
  console.log(`             npx autotap detections preview ${samples}`);
  console.log('Deploy to your account: see README.md, "Deploy".');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'simulate':
        await runSimulate(rest);
        return 0;
      case 'plan':
        return await (await import('./plan.ts')).planCommand(rest, ROOT);
      case 'rerun':
        return await (await import('./rerun.ts')).rerunCommand(rest);
      case 'demo':
        await runDemo();
        return 0;
      case 'detections':
        return await runDetections(rest);
      case 'bench':
        // Loaded on demand: the benchmark pulls in esbuild, which no other command needs.
        return await (await import('../bench/command.ts')).benchCommand(rest);
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return command ? 0 : 2;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const e = error as Error;
    process.stderr.write(`autotap: ${e.message}\n`);
    if (e.name === 'UsageError' || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(USAGE);
    return 1;
  }
}
