/**
 * Packages the service offline (osls + serverless-esbuild + serverless-step-functions) in a copy of
 * the project and checks the CloudFormation template and the function zips.
 *
 * Packaging runs nine times in the whole suite, in parallel: with config/dev.yml as committed (no
 * detections), with an invalid filter id (which must fail and name the field), as the stage
 * `detections` with tests/template/fixtures/detections.yml, which enables every detections part, as
 * the stage `large` (large-stage.ts: 200 targets and 200 email recipients), with a function
 * environment over Lambda's 4 KB (which must fail before anything is bundled), as the stage `create`
 * (create.ts: the stack creates the filter and target), and six that stop before packaging:
 * without a stage, with an unknown one, with config/dev.yml's example ids as the stage `prod`, and
 * one step over each limit the large stage is at (its stage name, reserved concurrency, recipients).
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { packagedRules, SCHEDULE_RULE } from '../../src/mirroring/event-rules.ts';
import { rulePattern } from '../../deploy/event-rules.ts';
import { TAG_CHANGES_MAX_RECEIVES } from '../../deploy/tag-changes.ts';
import { scopeTagKeys } from '../../src/mirroring/tag-changes.ts';
import {
  emailSubscriptions,
  loadStageConfig,
  RECONCILE_ROUND_MEMORY_MB,
  RECONCILE_SLICE_MEMORY_MB,
} from '../../deploy/stage-config.ts';
import { attachSessionStatements, EVENT_BUS_NAME, sessionChangingRoles } from '../../deploy/roles.ts';
import { AUTOTAP_EVENT_SOURCE } from '../../src/mirroring/autotap-events.ts';
import { registerDetectionTests, type DetectionsPackage } from './detections.ts';
import {
  LARGE_STAGE,
  LARGE_WEBHOOK_RESERVED_CONCURRENCY,
  largeStageDocument,
  registerLargeStageTests,
  type LargeStagePackage,
} from './large-stage.ts';
import { BUNDLED_DETECTIONS, BUNDLED_MIRRORING } from '../../deploy/stage-config.ts';
import { registerValidatorTests } from '../validators/validators.ts';
import { registerCreateTests } from './create.ts';
import { registerObservabilityTests } from './observability.ts';
import {
  ACCOUNT,
  MAX_ZIP_BYTES,
  REGION,
  actionsOf,
  asArray,
  bin,
  evaluate,
  loadBundle,
  node,
  policyDocuments,
  readZip,
  resourcesOf,
  rolePolicyStatements,
  root,
  type PolicyDocument,
  type RuleTarget,
  type Statement,
  type Template,
} from './inspect.ts';

/**
 * What a state machine's role needs to send its logs to CloudWatch Logs, on Resource "*": these
 * actions take no resource (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html, "IAM
 * policies for logging to CloudWatch Logs").
 */
const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
/** X-Ray's actions take no resource either (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html). */
const XRAY_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
];
const RESOURCELESS_ACTIONS = new Set([...LOG_DELIVERY_ACTIONS, ...XRAY_ACTIONS]);

// Nine serverless runs at once (four of them stop early) on a machine that may be busy.
const PACKAGE_TIMEOUT_MS = 300_000;

const FUNCTIONS = {
  normalizeInput: { logicalId: 'NormalizeInputLambdaFunction', placeholder: 'NormalizeInputFunctionArn' },
  resolveInterfaces: { logicalId: 'ResolveInterfacesLambdaFunction', placeholder: 'ResolveInterfacesFunctionArn' },
  attachSession: { logicalId: 'AttachSessionLambdaFunction', placeholder: 'AttachSessionFunctionArn' },
  summarize: { logicalId: 'SummarizeLambdaFunction', placeholder: 'SummarizeFunctionArn' },
  normalizeCleanupInput: {
    logicalId: 'NormalizeCleanupInputLambdaFunction',
    placeholder: 'NormalizeCleanupInputFunctionArn',
  },
  reconcileRound: { logicalId: 'ReconcileRoundLambdaFunction', placeholder: 'ReconcileRoundFunctionArn' },
  reconcileSlice: { logicalId: 'ReconcileSliceLambdaFunction', placeholder: 'ReconcileSliceFunctionArn' },
  summarizeReconcile: { logicalId: 'SummarizeReconcileLambdaFunction', placeholder: 'SummarizeReconcileFunctionArn' },
  listPlaces: { logicalId: 'ListPlacesLambdaFunction', placeholder: 'ListPlacesFunctionArn' },
  // Started by its queue, not by a state machine: no definition names it.
  coalesceTagChanges: { logicalId: 'CoalesceTagChangesLambdaFunction', placeholder: 'CoalesceTagChangesFunctionArn' },
} as const;
type FunctionKey = keyof typeof FUNCTIONS;
/** The functions each state machine's definition names. */
const MACHINE_FUNCTIONS: Record<string, FunctionKey[]> = {
  MirrorInstancesStateMachine: ['normalizeInput', 'resolveInterfaces', 'attachSession', 'summarize'],
  CleanupSessionsStateMachine: ['normalizeCleanupInput', 'reconcileSlice', 'summarizeReconcile'],
  ReconcileStateMachine: ['listPlaces', 'reconcileRound', 'summarizeReconcile'],
};

// ---------------------------------------------------------------------------------------------
// Helpers: copy the project, run serverless, read zips, evaluate CloudFormation intrinsics.

const temporaryDirs: string[] = [];

/** A copy of the project without build output; node_modules is linked, not copied. */
function copyProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-package-'));
  temporaryDirs.push(dir);
  const skip = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'reports', 'coverage']);
  cpSync(root, dir, {
    recursive: true,
    filter: (source) => !skip.has(path.relative(root, source).split(path.sep)[0] ?? ''),
  });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

interface Run {
  code: number;
  output: string;
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  // serverless-esbuild leaves a folder per function in the temporary directory: use the copy's.
  const scratch = path.join(cwd, '.esbuild-tmp');
  mkdirSync(scratch, { recursive: true });
  const env = {
    ...process.env,
    TMPDIR: scratch,
    PATH: [path.dirname(node), bin, process.env.PATH].join(path.delimiter),
    AWS_ACCESS_KEY_ID: 'offline-packaging-key',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: REGION,
    SLS_TELEMETRY_DISABLED: '1',
    NODE_OPTIONS: '',
  };
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env, timeout: PACKAGE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** The role of a function: `role: <LogicalId>` becomes Fn::GetAtt [<LogicalId>, Arn]. */
function roleOf(template: Template, functionKey: FunctionKey): string {
  const role = template.Resources[FUNCTIONS[functionKey].logicalId]!.Properties.Role as {
    'Fn::GetAtt': [string, string];
  };
  return role['Fn::GetAtt'][0];
}

/** Task resources of a definition, state by state, nested Map / Parallel states included. */
function taskResources(
  states: Record<string, Record<string, unknown>>,
  found: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') found[name] = state.Resource;
    const processor = (state.ItemProcessor ?? state.Iterator) as
      { States: Record<string, Record<string, unknown>> } | undefined;
    if (processor) taskResources(processor.States, found);
    for (const branch of asArray(state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined)) {
      taskResources(branch.States, found);
    }
  }
  return found;
}

function withoutKey(value: unknown, dropped: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutKey(item, dropped));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => key !== dropped)
      .map(([key, item]) => [key, withoutKey(item, dropped)]),
  );
}

// ---------------------------------------------------------------------------------------------

let template: Template;
let packaged: string;
let invalid: Run;
let oversized: Run;
let oversizedDir: string;
let devConfig: Config;
let noStage: Run;
let devOutput: string;
let unknownStage: Run;
let exampleIds: Run;
let brokenDir: string;
/** One character over the longest stage the generated names allow (LARGE_STAGE). */
const LONG_STAGE = `${LARGE_STAGE}y`;
const overLimit = {
  stage: undefined as unknown as Run,
  reserved: undefined as unknown as Run,
  recipients: undefined as unknown as Run,
  dir: '',
};
const CREATE_STAGE = 'create';
const created = { template: { Resources: {} }, config: undefined as unknown as Config, output: '' };
const DETECTIONS_STAGE = 'detections';
const detections: DetectionsPackage = { template: { Resources: {} }, dir: '', config: undefined as unknown as Config };
const large: LargeStagePackage = {
  template: { Resources: {} },
  dir: '',
  config: undefined as unknown as Config,
  temporaryDirs,
};
/** A variable that takes a function's environment past Lambda's 4 KB. */
const OVERSIZED_VARIABLE = 'OVERSIZED_SETTING';
const functionArn = (key: FunctionKey) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:autotap-dev-${key}`;

beforeAll(async () => {
  devConfig = loadConfigFile(path.join(root, 'config', 'dev.yml'));

  packaged = copyProject();
  const broken = copyProject();
  const devYml = path.join(broken, 'config', 'dev.yml');
  writeFileSync(devYml, readFileSync(devYml, 'utf8').replace(/^(\s*filterId:).*$/m, '$1 nope'));
  // A stage copied from config/dev.yml as it ships, example ids and all.
  cpSync(path.join(root, 'config', 'dev.yml'), path.join(broken, 'config', 'prod.yml'));
  brokenDir = broken;

  const withCreate = copyProject();
  const createFixture = path.join(root, 'tests', 'template', 'fixtures', 'create.yml');
  cpSync(createFixture, path.join(withCreate, 'config', `${CREATE_STAGE}.yml`));
  created.config = loadConfigFile(createFixture);

  const withDetections = copyProject();
  const fixture = path.join(root, 'tests', 'template', 'fixtures', 'detections.yml');
  cpSync(fixture, path.join(withDetections, 'config', `${DETECTIONS_STAGE}.yml`));
  detections.config = loadConfigFile(fixture);
  detections.dir = withDetections;

  const withLargeStage = copyProject();
  const largeYml = path.join(withLargeStage, 'config', `${LARGE_STAGE}.yml`);
  writeFileSync(largeYml, JSON.stringify(largeStageDocument(detections.config), null, 1));
  large.config = loadConfigFile(largeYml);
  large.dir = withLargeStage;

  const overEnvironment = copyProject();
  const overYml = path.join(overEnvironment, 'serverless.yml');
  // The first function environment in serverless.yml is summarize's.
  writeFileSync(
    overYml,
    readFileSync(overYml, 'utf8').replace(
      /^( {6}environment:\n)/m,
      `$1        ${OVERSIZED_VARIABLE}: ${'x'.repeat(4000)}\n`,
    ),
  );

  // One step over each account and name limit packaging checks: these stop before anything is bundled.
  const overLimits = copyProject();
  const overDocument = largeStageDocument(detections.config) as {
    detections: { webhook: Record<string, unknown>; emails: unknown[] };
  };
  const writeStage = (stage: string, document: unknown) =>
    writeFileSync(path.join(overLimits, 'config', `${stage}.yml`), JSON.stringify(document));
  writeStage(LONG_STAGE, largeStageDocument(detections.config));
  writeStage('reserved', {
    ...overDocument,
    detections: {
      ...overDocument.detections,
      webhook: { ...overDocument.detections.webhook, reservedConcurrency: LARGE_WEBHOOK_RESERVED_CONCURRENCY + 1 },
    },
  });
  writeStage('recipients', {
    ...overDocument,
    detections: {
      ...overDocument.detections,
      emails: [...overDocument.detections.emails, { address: 'one-more@example.com' }],
    },
  });
  const overStage = (stage: string) => run(path.join(bin, 'serverless'), ['package', '--stage', stage], overLimits);
  const overLimitRuns = Promise.all([overStage(LONG_STAGE), overStage('reserved'), overStage('recipients')]);

  const [ok, failed, detectionsRun, largeRun, overRun, createRun, noStageRun, unknownStageRun, exampleIdsRun] =
    await Promise.all([
      run(node, [path.join(packaged, 'deploy', 'package-offline.ts'), '--stage', 'dev'], packaged),
      run(path.join(bin, 'serverless'), ['package', '--stage', 'dev'], broken),
      run(
        node,
        [path.join(withDetections, 'deploy', 'package-offline.ts'), '--stage', DETECTIONS_STAGE],
        withDetections,
      ),
      run(node, [path.join(withLargeStage, 'deploy', 'package-offline.ts'), '--stage', LARGE_STAGE], withLargeStage),
      run(path.join(bin, 'serverless'), ['package', '--stage', 'dev'], overEnvironment),
      run(node, [path.join(withCreate, 'deploy', 'package-offline.ts'), '--stage', CREATE_STAGE], withCreate),
      // These stop before anything is packaged.
      run(path.join(bin, 'serverless'), ['package'], broken),
      run(path.join(bin, 'serverless'), ['package', '--stage', 'prdo'], broken),
      run(path.join(bin, 'serverless'), ['package', '--stage', 'prod'], broken),
    ]);
  if (ok.code !== 0) throw new Error(`serverless package failed:\n${ok.output}`);
  if (detectionsRun.code !== 0)
    throw new Error(`serverless package --stage ${DETECTIONS_STAGE} failed:\n${detectionsRun.output}`);
  if (largeRun.code !== 0) throw new Error(`serverless package --stage ${LARGE_STAGE} failed:\n${largeRun.output}`);
  if (createRun.code !== 0) throw new Error(`serverless package --stage ${CREATE_STAGE} failed:\n${createRun.output}`);
  [overLimit.stage, overLimit.reserved, overLimit.recipients] = await overLimitRuns;
  overLimit.dir = overLimits;
  noStage = noStageRun;
  unknownStage = unknownStageRun;
  exampleIds = exampleIdsRun;
  created.output = createRun.output;
  created.template = JSON.parse(
    readFileSync(path.join(withCreate, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  // Kept for the no-ops-recipients warning, which the dev stage (opsEmails: []) must print.
  devOutput = ok.output;
  invalid = failed;
  oversized = overRun;
  oversizedDir = overEnvironment;
  template = JSON.parse(
    readFileSync(path.join(packaged, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  detections.template = JSON.parse(
    readFileSync(path.join(withDetections, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  large.template = JSON.parse(
    readFileSync(path.join(withLargeStage, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, 2 * PACKAGE_TIMEOUT_MS);

afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

describe('configuration at package time', () => {
  test('an invalid config/<stage>.yml fails packaging with a message naming the field', () => {
    expect(invalid.code).not.toBe(0);
    expect(invalid.output).toContain('mirroring.filterId');
    expect(invalid.output).toContain('expected an id like tmf-');
  });

  test('a missing config/<stage>.yml is an error naming the file', () => {
    expect(() => loadStageConfig('no-such-stage', packaged)).toThrow(
      /config\/no-such-stage\.yml: configuration file not found/,
    );
  });

  test('no function carries the configuration in its environment; each gets the ops topic', () => {
    for (const { logicalId } of Object.values(FUNCTIONS)) {
      const variables = (
        template.Resources[logicalId]!.Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(Object.keys(variables)).not.toContain('AUTOTAP_CONFIG');
      expect(JSON.stringify(variables)).not.toContain(devConfig.mirroring.filterId);
      expect(variables.OPS_TOPIC_ARN).toEqual({ Ref: 'OpsTopic' });
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe('autotap');
      expect(variables.LOG_LEVEL).toBe('INFO');
    }
  });

  test('the validated configuration is bundled into the code of the functions that read it', () => {
    for (const [key, { logicalId }] of Object.entries(FUNCTIONS)) {
      const handler = String(template.Resources[logicalId]!.Properties.Handler);
      const bundle = readZip(path.join(packaged, '.serverless', `${key}.zip`))
        .get(`${handler.slice(0, handler.lastIndexOf('.'))}.mjs`)!
        .toString('utf8');
      const reads = [
        'attachSession',
        'resolveInterfaces',
        'reconcileRound',
        'reconcileSlice',
        'summarize',
        'coalesceTagChanges',
      ].includes(key);
      expect({ key, mirroring: bundle.includes(JSON.stringify(devConfig.mirroring)) }).toEqual({
        key,
        mirroring: reads,
      });
      // Replaced by esbuild wherever it is read: no bundle looks the constants up at run time.
      expect({
        key,
        constants: [BUNDLED_MIRRORING, BUNDLED_DETECTIONS].filter((name) => bundle.includes(name)),
      }).toEqual({ key, constants: [] });
    }
  });

  test("a function environment over Lambda's 4 KB fails packaging, naming the limit and the sizes, before bundling", () => {
    expect(oversized.code).not.toBe(0);
    expect(oversized.output).toContain('4 KB (4096 bytes');
    expect(oversized.output).toContain('https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html');
    expect(oversized.output).toMatch(
      new RegExp(`summarize: \\d{4} bytes \\(largest: ${OVERSIZED_VARIABLE} 40\\d\\d bytes`),
    );
    expect(existsSync(path.join(oversizedDir, '.serverless', 'summarize.zip'))).toBe(false);
  });

  test('ops emails become email subscriptions to the ops topic', () => {
    const { Resources } = emailSubscriptions({
      notifications: { opsEmails: ['ops@example.com', 'oncall@example.com'] },
    });
    const subscriptions = Object.values(Resources);
    expect(subscriptions).toHaveLength(2);
    for (const subscription of subscriptions) {
      expect(subscription.Type).toBe('AWS::SNS::Subscription');
      expect(subscription.Properties).toMatchObject({ Protocol: 'email', TopicArn: { Ref: 'OpsTopic' } });
    }
    expect(subscriptions.map((s) => s.Properties.Endpoint).sort()).toEqual(['oncall@example.com', 'ops@example.com']);
    expect(Object.keys(emailSubscriptions({ notifications: { opsEmails: [] } }).Resources)).toEqual([]);
    const dev = Object.values(template.Resources).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(dev).toHaveLength(devConfig.notifications.opsEmails.length);
  });
});

describe('functions', () => {
  test('every function runs nodejs24.x on arm64 with its own role', () => {
    const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(
      Object.values(FUNCTIONS)
        .map((f) => f.logicalId)
        .sort(),
    );
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    const roles = (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => roleOf(template, key));
    expect(new Set(roles).size).toBe(Object.keys(FUNCTIONS).length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  test("the reconciler's functions get the memory measured for 50,000 instances (bench targets check it), the mirroring path the provider's 256 MB", () => {
    expect(template.Resources.ReconcileRoundLambdaFunction!.Properties.MemorySize).toBe(RECONCILE_ROUND_MEMORY_MB);
    expect(template.Resources.ReconcileSliceLambdaFunction!.Properties.MemorySize).toBe(RECONCILE_SLICE_MEMORY_MB);
    for (const id of [
      'NormalizeInputLambdaFunction',
      'ResolveInterfacesLambdaFunction',
      'AttachSessionLambdaFunction',
    ]) {
      expect(template.Resources[id]!.Properties.MemorySize).toBe(256);
    }
  });

  test('each zip holds one ES module bundle, under 1 MB, that loads on Node 24', async () => {
    const sizes: Record<string, { zip: number; bundle: number }> = {};
    const extracted = mkdtempSync(path.join(os.tmpdir(), 'autotap-bundles-'));
    temporaryDirs.push(extracted);
    for (const [key, { logicalId }] of Object.entries(FUNCTIONS)) {
      const zipFile = path.join(packaged, '.serverless', `${key}.zip`);
      expect(existsSync(zipFile)).toBe(true);
      const zipBytes = statSync(zipFile).size;
      expect(zipBytes).toBeLessThan(MAX_ZIP_BYTES);

      const handler = String(template.Resources[logicalId]!.Properties.Handler);
      const modulePath = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;
      const entries = readZip(zipFile);
      expect([...entries.keys()]).toEqual([modulePath]);
      const bundle = entries.get(modulePath)!;
      sizes[key] = { zip: zipBytes, bundle: bundle.length };

      const loaded = await loadBundle(bundle, modulePath, path.join(extracted, key), {
        OPS_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:autotap-dev-ops`,
        POWERTOOLS_SERVICE_NAME: 'autotap',
        LOG_LEVEL: 'INFO',
      });
      expect(loaded).toBe('function');
    }
    console.log(`function zips (bytes): ${JSON.stringify(sizes)}`);
  });
});

describe('mirror-instances state machine', () => {
  test('is a Standard workflow named autotap-dev-mirror-instances', () => {
    const machine = template.Resources.MirrorInstancesStateMachine!;
    expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    expect(machine.Properties.StateMachineName).toBe('autotap-dev-mirror-instances');
  });

  test('the rendered definition is the ASL file with every Task resolved to its Lambda ARN', () => {
    const source = readFileSync(path.join(root, 'statemachines', 'mirror-instances.asl.json'), 'utf8');
    const definitionString = template.Resources.MirrorInstancesStateMachine!.Properties.DefinitionString;
    const rendered = String(evaluate(template, definitionString));
    expect(rendered).not.toMatch(/\$\{/);
    const definition = JSON.parse(rendered) as { States: Record<string, Record<string, unknown>> };

    const tasks = taskResources(definition.States);
    expect(Object.keys(tasks).length).toBeGreaterThanOrEqual(4);
    for (const resource of Object.values(tasks))
      expect(resource).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:autotap-dev-\w+$/);

    let expected = source;
    for (const key of MACHINE_FUNCTIONS.MirrorInstancesStateMachine!)
      expected = expected.replaceAll(`\${${FUNCTIONS[key].placeholder}}`, functionArn(key));
    expect(expected).not.toMatch(/\$\{/);
    // The plugin spells out the default QueryLanguage on every state; otherwise nothing changes.
    expect(withoutKey(definition, 'QueryLanguage')).toEqual(JSON.parse(expected));
  });

  test.each(Object.entries(MACHINE_FUNCTIONS))(
    '%s may invoke exactly the functions its definition names, and deliver its logs',
    (machineId, keys) => {
      const roleArn = template.Resources[machineId]!.Properties.RoleArn as { 'Fn::GetAtt': [string, string] };
      const all = rolePolicyStatements(template, roleArn['Fn::GetAtt'][0]);
      // Errors-only logging (the default) needs Step Functions' log delivery grant; no tracing, no X-Ray.
      const delivery = all.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(delivery.flatMap(actionsOf).sort()).toEqual([...LOG_DELIVERY_ACTIONS].sort());
      const statements = all.filter((s) => !delivery.includes(s));
      expect(statements.flatMap(actionsOf).every((action) => action === 'lambda:InvokeFunction')).toBe(true);
      const resources = statements.flatMap((statement) => resourcesOf(template, statement));
      const allowed = keys.flatMap((key) => [functionArn(key), `${functionArn(key)}:*`]);
      expect(new Set(resources)).toEqual(new Set(allowed));
    },
  );

  test.each([
    ['cleanup-sessions.asl.json', 'CleanupSessionsStateMachine'],
    ['reconcile.asl.json', 'ReconcileStateMachine'],
  ])('%s is deployed with every Task resolved', (file, machineId) => {
    const rendered = String(evaluate(template, template.Resources[machineId]!.Properties.DefinitionString));
    expect(rendered).not.toMatch(/\$\{/);
    let expected = readFileSync(path.join(root, 'statemachines', file), 'utf8');
    for (const key of MACHINE_FUNCTIONS[machineId]!)
      expected = expected.replaceAll(`\${${FUNCTIONS[key].placeholder}}`, functionArn(key));
    expect(withoutKey(JSON.parse(rendered), 'QueryLanguage')).toEqual(JSON.parse(expected));
  });

  test('the EC2 launch rule uses the pattern of events/ec2-instance-running.pattern.json and starts the state machine', () => {
    const pattern = JSON.parse(
      readFileSync(path.join(root, 'events', 'ec2-instance-running.pattern.json'), 'utf8'),
    ) as unknown;
    const rules = Object.entries(template.Resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Events::Rule' &&
        asArray(r.Properties.Targets as RuleTarget[]).some(
          (t) => JSON.stringify(t.Arn) === '{"Ref":"MirrorInstancesStateMachine"}',
        ) &&
        JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern),
    );
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties.EventPattern).toEqual(pattern);
    expect(rule.Properties.State).toBe('ENABLED');

    const [target] = rule.Properties.Targets as RuleTarget[];
    const eventsRole = (target!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = rolePolicyStatements(template, eventsRole);
    expect(statements.flatMap(actionsOf)).toEqual(['states:StartExecution']);
    expect(statements.flatMap((s) => resourcesOf(template, s))).toEqual([
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:autotap-dev-mirror-instances`,
    ]);

    // Events that cannot start an execution go to a dead-letter queue only autotap's rules may write to.
    expect(target!.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['LaunchEventsDeadLetterQueue', 'Arn'] } });
    const queuePolicy = template.Resources.LaunchEventsDeadLetterQueuePolicy!.Properties
      .PolicyDocument as PolicyDocument;
    expect(queuePolicy.Statement).toHaveLength(1);
    expect(queuePolicy.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
    });
    expect(queuePolicy.Statement[0]!.Condition?.ArnEquals?.['aws:SourceArn']).toContainEqual({
      'Fn::GetAtt': [ruleId, 'Arn'],
    });
  });

  test.each([
    ['cloudtrail-attach-network-interface.pattern.json', 'MirrorInstancesStateMachine'],
    ['ec2-instance-stopped-or-terminated.pattern.json', 'CleanupSessionsStateMachine'],
    ['cloudtrail-detach-network-interface.pattern.json', 'CleanupSessionsStateMachine'],
  ])('the rule with events/%s starts %s, with the dead-letter queue', (file, machineId) => {
    const pattern = JSON.parse(readFileSync(path.join(root, 'events', file), 'utf8')) as unknown;
    const matching = Object.entries(template.Resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern),
    );
    expect(matching).toHaveLength(1);
    const [ruleId, rule] = matching[0]!;
    const [target] = rule.Properties.Targets as RuleTarget[];
    expect(target!.Arn).toEqual({ Ref: machineId });
    expect(target!.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['LaunchEventsDeadLetterQueue', 'Arn'] } });
    const queuePolicy = template.Resources.LaunchEventsDeadLetterQueuePolicy!.Properties
      .PolicyDocument as PolicyDocument;
    expect(queuePolicy.Statement[0]!.Condition?.ArnEquals?.['aws:SourceArn']).toContainEqual({
      'Fn::GetAtt': [ruleId, 'Arn'],
    });
  });

  test('the rules that start workflows are exactly the rule table the local AWS routes with: name, pattern, target, whole event as input', () => {
    const machineIds: Record<string, string> = {
      'mirror-instances': 'MirrorInstancesStateMachine',
      'cleanup-sessions': 'CleanupSessionsStateMachine',
      reconcile: 'ReconcileStateMachine',
    };
    // A state machine by its Ref, the tag-changes queue by its ARN.
    const targetOf = (t: RuleTarget) =>
      (t.Arn as { Ref?: string }).Ref ?? (t.Arn as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] ?? '';
    const startingWorkflows = Object.values(template.Resources).filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        asArray(r.Properties.Targets as RuleTarget[]).some((t) =>
          [...Object.values(machineIds), 'TagChangesQueue'].includes(targetOf(t)),
        ),
    );
    const packaged = startingWorkflows.map((r) => {
      const [target] = r.Properties.Targets as (RuleTarget & Record<string, unknown>)[];
      return {
        name: r.Properties.Name,
        pattern: r.Properties.EventPattern ?? null,
        schedule: r.Properties.ScheduleExpression ?? null,
        target: targetOf(target!),
        input: target!.Input ?? null,
        inputPath: target!.InputPath ?? null,
        inputTransformer: target!.InputTransformer ?? null,
      };
    });
    const config = loadStageConfig('dev');
    const routed = [
      ...packagedRules(config).map((rule) => ({
        name: `autotap-dev-${rule.name}`,
        pattern: rulePattern(
          rule,
          rule.viaQueue ? [] : sessionChangingRoles(config).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
          scopeTagKeys(config.mirroring.scope),
        ),
        schedule: null,
        target: rule.viaQueue ? 'TagChangesQueue' : machineIds[rule.stateMachine],
        input: null,
        inputPath: null,
        inputTransformer: null,
      })),
      {
        name: `autotap-dev-${SCHEDULE_RULE.name}`,
        pattern: null,
        schedule: 'rate(6 hours)',
        target: machineIds[SCHEDULE_RULE.stateMachine],
        input: JSON.stringify(SCHEDULE_RULE.input),
        inputPath: null,
        inputTransformer: null,
      },
    ];
    const byName = (a: { name: unknown }, b: { name: unknown }) => String(a.name).localeCompare(String(b.name));
    expect(packaged.sort(byName)).toEqual(routed.sort(byName));
  });

  test('tag changes: the queue, read in batches by coalesceTagChanges, which may only start reconcile', () => {
    const queue = template.Resources.TagChangesQueue!.Properties;
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['TagChangesDeadLetterQueue', 'Arn'] },
      maxReceiveCount: TAG_CHANGES_MAX_RECEIVES,
    });
    // Lambda's advice for a queue an event source reads: six times the timeout plus the batching window.
    const fn = template.Resources.CoalesceTagChangesLambdaFunction!.Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn.Timeout as number) + 10);
    const mappings = Object.values(template.Resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(r.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': ['TagChangesQueue', 'Arn'] }),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.RECONCILE_STATE_MACHINE_ARN).toEqual({
      Ref: 'ReconcileStateMachine',
    });
    const policy = template.Resources.TagChangesQueuePolicy!.Properties.PolicyDocument as PolicyDocument;
    expect(policy.Statement[0]!.Condition?.ArnEquals?.['aws:SourceArn']).toEqual([
      { 'Fn::GetAtt': ['TagsChangedRule', 'Arn'] },
      { 'Fn::GetAtt': ['TagCallsRule', 'Arn'] },
    ]);
    expect(template.Resources.TagChangesDeadLetterAlarm!.Properties.AlarmActions).toEqual([{ Ref: 'OpsTopic' }]);
  });

  test('the reconciler runs on the configured schedule (default every 6 hours)', () => {
    const scheduled = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression,
    );
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.Properties.ScheduleExpression).toBe('rate(6 hours)');
    expect((scheduled[0]!.Properties.Targets as RuleTarget[])[0]!.Arn).toEqual({ Ref: 'ReconcileStateMachine' });
  });

  test('a reconcile start EventBridge cannot deliver is parked in the rule events dead-letter queue, which alarms to ops', () => {
    const [ruleId, rule] = Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression,
    )!;
    const targets = rule.Properties.Targets as (RuleTarget & { RetryPolicy?: unknown; Input?: string })[];
    expect(targets).toHaveLength(1);
    expect(targets[0]!.Input).toBe('{}');
    expect(targets[0]!.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['RuleEventsDeadLetterQueue', 'Arn'] } });
    expect(targets[0]!.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 24 });
    const eventsRole = (targets[0]!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = rolePolicyStatements(template, eventsRole);
    expect(statements.flatMap(actionsOf)).toEqual(['states:StartExecution']);
    expect(statements.flatMap((s) => resourcesOf(template, s))).toEqual([
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:autotap-dev-reconcile`,
    ]);

    const queuePolicy = template.Resources.RuleEventsDeadLetterQueuePolicy!.Properties.PolicyDocument as PolicyDocument;
    expect(queuePolicy.Statement).toHaveLength(1);
    expect(queuePolicy.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
    });
    expect(queuePolicy.Statement[0]!.Condition?.ArnEquals?.['aws:SourceArn']).toEqual([
      { 'Fn::GetAtt': [ruleId, 'Arn'] },
      { 'Fn::GetAtt': ['ExecutionFailedRule', 'Arn'] },
    ]);
    expect(template.Resources.RuleEventsDeadLetterAlarm!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['RuleEventsDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: 'OpsTopic' }],
    });
  });
});

describe('ops topic and failure alerts', () => {
  test('the ops topic is autotap-dev-ops', () => {
    expect(template.Resources.OpsTopic).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: 'autotap-dev-ops' },
    });
  });

  test("failed, timed out and aborted executions of autotap's state machine reach the ops topic as readable text", () => {
    const rule = template.Resources.ExecutionFailedRule!;
    const pattern = rule.Properties.EventPattern as {
      source: string[];
      'detail-type': string[];
      detail: { status: string[]; stateMachineArn: unknown[] };
    };
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    expect([...pattern.detail.status].sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
    expect(pattern.detail.stateMachineArn).toEqual(Object.keys(MACHINE_FUNCTIONS).map((id) => ({ Ref: id })));

    const targets = rule.Properties.Targets as (RuleTarget & { RetryPolicy?: unknown })[];
    expect(targets).toHaveLength(1);
    expect(targets[0]!.Arn).toEqual({ Ref: 'OpsTopic' });
    // An alert SNS does not take is parked (and alarmed on), not dropped after EventBridge's retries.
    expect(targets[0]!.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['RuleEventsDeadLetterQueue', 'Arn'] } });
    expect(targets[0]!.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
    const transformer = targets[0]!.InputTransformer!;
    let message = transformer.InputTemplate;
    for (const [name, jsonPath] of Object.entries(transformer.InputPathsMap)) {
      expect(jsonPath).toMatch(/^\$\.(detail\.)?[A-Za-z]+$/);
      message = message.replaceAll(`<${name}>`, name.toUpperCase());
    }
    expect(message).not.toMatch(/<[a-zA-Z]+>/);
    const text = JSON.parse(message) as unknown;
    expect(typeof text).toBe('string');
    expect(text).toContain('STATUS');
    expect(text).toContain('EXECUTIONARN');

    const topicPolicy = Object.values(template.Resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy')!;
    expect(topicPolicy.Properties.Topics).toEqual([{ Ref: 'OpsTopic' }]);
    const statements = (topicPolicy.Properties.PolicyDocument as PolicyDocument).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: 'OpsTopic' },
        Condition: { ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['ExecutionFailedRule', 'Arn'] }] } },
      }),
    );
    for (const statement of statements) expect(statement.Condition?.ArnEquals?.['aws:SourceArn']).toBeDefined();
  });
});

describe('IAM', () => {
  const isDescribe = (action: string) => /^[a-z0-9-]+:Describe[A-Za-z]+$/.test(action);

  const templates: [string, () => Template][] = [
    ['dev', () => template],
    [DETECTIONS_STAGE, () => detections.template],
  ];

  test.each(templates)(
    '%s: no Allow statement has a wildcard action, NotAction or NotResource',
    (_stage, templateOf) => {
      for (const { where, document } of policyDocuments(templateOf())) {
        for (const statement of document.Statement) {
          expect({ where, notAction: statement.NotAction, notResource: statement.NotResource }).toEqual({
            where,
            notAction: undefined,
            notResource: undefined,
          });
          const wildcards = actionsOf(statement).filter((action) => action.includes('*'));
          if (statement.Effect === 'Allow') {
            expect({ where, wildcards }).toEqual({ where, wildcards: [] });
          } else {
            // The framework's deployment bucket policy denies every S3 action without TLS: a wildcard
            // that can only take permissions away.
            expect({ where, statement }).toEqual({
              where: 'ServerlessDeploymentBucketPolicy',
              statement: expect.objectContaining({
                Effect: 'Deny',
                Condition: { Bool: { 'aws:SecureTransport': false } },
              }),
            });
          }
        }
      }
    },
  );

  test.each(templates)('%s: Resource "*" only for Describe actions, log delivery and X-Ray', (_stage, templateOf) => {
    for (const { where, document } of policyDocuments(templateOf())) {
      for (const statement of document.Statement.filter((s) => s.Effect === 'Allow')) {
        if (asArray(statement.Resource).includes('*')) {
          const others = actionsOf(statement).filter((a) => !isDescribe(a) && !RESOURCELESS_ACTIONS.has(a));
          expect({ where, actions: others }).toEqual({
            where,
            actions: [],
          });
        }
      }
    }
  });

  const logActions = ['logs:CreateLogStream', 'logs:PutLogEvents'];

  test('every function writes only to its own log group', () => {
    for (const key of Object.keys(FUNCTIONS) as FunctionKey[]) {
      const logs = rolePolicyStatements(template, roleOf(template, key)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('logs:')),
      );
      expect(logs.flatMap(actionsOf).sort()).toEqual(logActions);
      expect(logs.flatMap((s) => resourcesOf(template, s))).toEqual([
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/autotap-dev-${key}:*`,
      ]);
    }
  });

  test('normalizeInput may only log; resolveInterfaces may only describe', () => {
    expect(rolePolicyStatements(template, roleOf(template, 'normalizeInput')).flatMap(actionsOf).sort()).toEqual(
      logActions,
    );
    const resolve = rolePolicyStatements(template, roleOf(template, 'resolveInterfaces')).filter(
      (s) => !actionsOf(s)[0]!.startsWith('logs:'),
    );
    expect(resolve.flatMap(actionsOf).sort()).toEqual([
      'ec2:DescribeInstances',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeTrafficMirrorSessions',
      'ec2:DescribeTrafficMirrorTargets',
    ]);
    for (const statement of resolve) expect(statement.Resource).toBe('*');
  });

  test.each([
    ['summarize', ['dynamodb:BatchWriteItem']],
    ['reconcileRound', ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Scan']],
    ['reconcileSlice', ['dynamodb:BatchWriteItem']],
  ])('%s reaches the session registry with only the calls it makes, on its table only', (fn, actions) => {
    const statements = rolePolicyStatements(template, roleOf(template, fn as FunctionKey)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(statements.flatMap(actionsOf).sort()).toEqual(actions);
    expect(statements.flatMap((s) => asArray(s.Resource))).toEqual([{ 'Fn::GetAtt': ['SessionsTable', 'Arn'] }]);
    expect(template.Resources.SessionsTable).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'trafficMirrorSessionId', KeyType: 'HASH' }],
      },
    });
    const environment = template.Resources[FUNCTIONS[fn as FunctionKey].logicalId]!.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    expect(environment.Variables.SESSIONS_TABLE).toEqual({ Ref: 'SessionsTable' });
  });

  test("summarize may only publish to the ops topic, put events on autotap's bus and record sessions", () => {
    const statements = rolePolicyStatements(template, roleOf(template, 'summarize')).filter(
      (s) => !actionsOf(s)[0]!.startsWith('logs:'),
    );
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'events:PutEvents',
      'sns:Publish',
    ]);
    const publish = statements.filter((s) => actionsOf(s).includes('sns:Publish'));
    expect(publish.flatMap((s) => asArray(s.Resource))).toEqual([{ Ref: 'OpsTopic' }]);
  });

  test('events:PutEvents only on the bus named by EVENT_BUS_NAME, and only for summarize, reconcileRound and reconcileSlice', () => {
    const bus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${EVENT_BUS_NAME}`;
    const grants = policyDocuments(template).flatMap(({ where, document }) =>
      document.Statement.filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('events:'))).map(
        (s) => ({ where, statement: s }),
      ),
    );
    const holders = grants.map((g) => g.where.split('/')[0]).sort();
    expect(holders).toEqual(
      [roleOf(template, 'reconcileRound'), roleOf(template, 'reconcileSlice'), roleOf(template, 'summarize')].sort(),
    );
    for (const { statement } of grants) {
      expect(actionsOf(statement)).toEqual(['events:PutEvents']);
      expect(resourcesOf(template, statement)).toEqual([bus]);
      expect(statement.Condition).toEqual({ StringEquals: { 'events:source': AUTOTAP_EVENT_SOURCE } });
    }
    for (const key of ['summarize', 'reconcileRound', 'reconcileSlice'] as const) {
      const variables = (
        template.Resources[FUNCTIONS[key].logicalId]!.Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(variables.EVENT_BUS_NAME).toBe(EVENT_BUS_NAME);
    }
  });

  describe('attachSession', () => {
    const ec2 = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;
    let statements: Statement[];
    beforeAll(() => {
      statements = rolePolicyStatements(template, roleOf(template, 'attachSession')).filter(
        (s) => !actionsOf(s)[0]!.startsWith('logs:'),
      );
    });
    const allowing = (action: string) => statements.filter((s) => actionsOf(s).includes(action));

    test('creates sessions only with the configured filter, configured or tagged targets, and the managed tag', () => {
      const grants = allowing('ec2:CreateTrafficMirrorSession').flatMap((s) =>
        resourcesOf(template, s).map((resource) => ({ resource, condition: s.Condition })),
      );
      const tag = devConfig.mirroring.targetTag!;
      expect(grants).toEqual(
        expect.arrayContaining([
          { resource: ec2(`traffic-mirror-filter/${devConfig.mirroring.filterId}`), condition: undefined },
          ...devConfig.mirroring.targets.map((t) => ({
            resource: ec2(`traffic-mirror-target/${t.id}`),
            condition: undefined,
          })),
          {
            resource: ec2('traffic-mirror-target/*'),
            condition: { StringEquals: { [`aws:ResourceTag/${tag.key}`]: tag.value } },
          },
          { resource: ec2('network-interface/*'), condition: undefined },
          {
            resource: ec2('traffic-mirror-session/*'),
            condition: {
              StringEquals: { 'aws:RequestTag/autotap:managed': 'true' },
              'ForAllValues:StringEquals': {
                'aws:TagKeys': [
                  'autotap:managed',
                  'autotap:instance-id',
                  'autotap:load-balancer',
                  'autotap:requester-id',
                ],
              },
            },
          },
        ]),
      );
      expect(grants).toHaveLength(4 + devConfig.mirroring.targets.length);
      for (const { resource } of grants) expect(resource).not.toMatch(/traffic-mirror-filter\/\*/);
    });

    test('tags only the sessions it creates; describes sessions anywhere', () => {
      const tagging = allowing('ec2:CreateTags');
      expect(tagging).toHaveLength(1);
      expect(resourcesOf(template, tagging[0]!)).toEqual([ec2('traffic-mirror-session/*')]);
      expect(tagging[0]!.Condition).toEqual({
        StringEquals: { 'ec2:CreateAction': 'CreateTrafficMirrorSession' },
        'ForAllValues:StringEquals': {
          'aws:TagKeys': ['autotap:managed', 'autotap:instance-id', 'autotap:load-balancer', 'autotap:requester-id'],
        },
      });
      const describe = allowing('ec2:DescribeTrafficMirrorSessions');
      expect(describe.map((s) => s.Resource)).toEqual(['*']);
    });

    test('deletes and modifies only sessions tagged autotap:managed=true', () => {
      for (const action of ['ec2:DeleteTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession']) {
        for (const statement of allowing(action)) {
          for (const resource of resourcesOf(template, statement)) {
            if (resource.includes(':traffic-mirror-session/')) {
              expect(statement.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/autotap:managed': 'true' } });
            } else {
              // Modify may point a managed session at the configured filter or an allowed target.
              expect(action).toBe('ec2:ModifyTrafficMirrorSession');
              expect(resource).toMatch(/:traffic-mirror-(filter|target)\//);
            }
          }
        }
      }
      expect(allowing('ec2:DeleteTrafficMirrorSession')).toHaveLength(1);
      expect(statements.flatMap(actionsOf).filter((a) => !a.startsWith('ec2:'))).toEqual([]);
    });

    test('targets only by tag, or only by id, produce only the matching statements', () => {
      const base = devConfig.mirroring;
      const byTag = attachSessionStatements({ ...base, targets: [] });
      expect(byTag.map((s) => s.Sid)).not.toContain('MirrorToConfiguredTargets');
      expect(byTag.map((s) => s.Sid)).toContain('MirrorToTaggedTargets');
      const byId = attachSessionStatements({ ...base, targetTag: undefined });
      expect(byId.map((s) => s.Sid)).toContain('MirrorToConfiguredTargets');
      expect(byId.map((s) => s.Sid)).not.toContain('MirrorToTaggedTargets');
      for (const statement of byId) {
        for (const resource of asArray(statement.Resource))
          expect(JSON.stringify(resource)).not.toContain('traffic-mirror-target/*');
      }
    });
  });
});

describe('deployment order and what outlives the stack', () => {
  test('every function that creates sessions waits for the managed policies granting its configured targets', () => {
    const granting = Object.entries(template.Resources)
      .filter(([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && /^ConfiguredTargetsPolicy\d+$/.test(id))
      .map(([id]) => id);
    expect(granting.length).toBeGreaterThan(0);
    for (const key of ['attachSession', 'reconcileRound', 'reconcileSlice'] as const) {
      expect(template.Resources[FUNCTIONS[key].logicalId]!.DependsOn).toEqual(expect.arrayContaining(granting));
    }
  });

  test('the detections table and every dead-letter queue are kept when the stack is removed or they are replaced', () => {
    const kept = (t: Template) =>
      Object.entries(t.Resources)
        .filter(([, r]) => r.DeletionPolicy === 'Retain' && r.UpdateReplacePolicy === 'Retain')
        .map(([id]) => id)
        .sort();
    const deadLetters = (t: Template) =>
      Object.entries(t.Resources)
        .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && id.endsWith('DeadLetterQueue'))
        .map(([id]) => id);
    expect(kept(template)).toEqual([
      'LaunchEventsDeadLetterQueue',
      'RuleEventsDeadLetterQueue',
      'TagChangesDeadLetterQueue',
    ]);
    expect(kept(detections.template)).toEqual([...deadLetters(detections.template), 'DetectionsTable'].sort());
    expect(deadLetters(detections.template).length).toBeGreaterThanOrEqual(4);
  });
});

registerDetectionTests(() => ({ ...detections, dev: template, devConfig, temporaryDirs }));
registerLargeStageTests(() => large);
registerValidatorTests(
  () => [
    { stage: 'dev', template },
    { stage: DETECTIONS_STAGE, template: detections.template },
    { stage: LARGE_STAGE, template: large.template },
    { stage: CREATE_STAGE, template: created.template },
  ],
  ['dev', DETECTIONS_STAGE, LARGE_STAGE, CREATE_STAGE],
);

describe('stages', () => {
  test('without --stage nothing is packaged: the stages that exist are listed instead of a default', () => {
    expect(noStage.code).not.toBe(0);
    expect(noStage.output).toContain('no stage: pass --stage <name>');
    expect(noStage.output).toContain('the stages are: dev, prod');
  });

  test('an unknown stage lists the stages that exist, once', () => {
    expect(unknownStage.code).not.toBe(0);
    expect(unknownStage.output).toContain('stage "prdo" has no config/prdo.yml; the stages are: dev, prod');
    expect(unknownStage.output.match(/Cannot resolve variable/g) ?? []).toHaveLength(1);
  });

  test('the example ids of config/dev.yml are refused outside the demo stage, each with its field', () => {
    expect(exampleIds.code).not.toBe(0);
    expect(exampleIds.output).toContain('config/prod.yml holds example values from the documentation');
    expect(exampleIds.output).toContain('mirroring.filterId: tmf-0123456789abcdef0');
    expect(exampleIds.output).toContain('mirroring.targets[0].id: tmt-0123456789abcdef0');
    expect(exampleIds.output).toContain('mirroring.create');
    expect(existsSync(path.join(brokenDir, '.serverless', 'attachSession.zip'))).toBe(false);
  });

  test('a stage one character longer than its names allow is refused with the longest it may be', () => {
    expect(overLimit.stage.code).not.toBe(0);
    expect(overLimit.stage.output).toContain(`stage "${LONG_STAGE}" makes names that AWS would refuse at deploy time`);
    expect(overLimit.stage.output).toContain(
      `autotap-${LONG_STAGE}-normalizeCleanupInput: 65 characters, and Lambda function names take at most 64`,
    );
    expect(overLimit.stage.output).toContain('The longest stage name this stack allows is 34 characters');
    expect(existsSync(path.join(overLimit.dir, '.serverless', 'attachSession.zip'))).toBe(false);
  });

  test("a webhook reservation one over what the account's Lambda quota leaves is refused", () => {
    expect(overLimit.reserved.code).not.toBe(0);
    expect(overLimit.reserved.output).toContain('detections.webhook.reservedConcurrency: 899');
    expect(overLimit.reserved.output).toContain('expected at most 898');
  });

  test("a 201st e-mail recipient is refused with SNS's filter policies per topic", () => {
    expect(overLimit.recipients.code).not.toBe(0);
    expect(overLimit.recipients.output).toContain('detections.emails: 201 recipients');
    expect(overLimit.recipients.output).toContain('SNS allows 200 filter policies per topic');
  });

  test('a stage without ops recipients packages with a warning; one with them without', () => {
    expect(devOutput).toContain('notifications.opsEmails is empty: nobody is told when mirroring fails');
    expect(created.output).not.toContain('notifications.opsEmails is empty');
  });
});

registerCreateTests(() => created);
registerObservabilityTests(() => ({
  dev: { template, config: devConfig },
  traced: { template: created.template, config: created.config, stage: CREATE_STAGE },
  detections: detections.template,
}));
