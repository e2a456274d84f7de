import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { stringify } from 'yaml';
import { doctorCommand } from '../../cli/doctor.ts';
import { startEmulator, type EmulatorSeed } from '../../local/emulator/index.ts';
import type { CheckResult } from '../../src/doctor/checks.ts';

/**
 * `autotap doctor` against the local AWS, one misconfiguration at a time: real SDK clients, the
 * emulator answering as AWS does, the command's --json document read back.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const STAGE = 'check';
const NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensor/0123456789abcdef';
const APPLIANCE_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/appliance-AbCdEf';

const config = {
  mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }, { id: 'tmt-0b1' }] },
  notifications: { opsEmails: ['ops@example.com'] },
  detections: { appliance: { url: 'https://extrahop.example.com', secretArn: APPLIANCE_SECRET } },
};

/** An account where every check passes: an NLB target in us-east-1a, a sensor ENI in us-east-1b. */
const healthy = (): EmulatorSeed => ({
  filters: [
    {
      id: 'tmf-0f1',
      rules: [
        { direction: 'ingress', ruleNumber: 100 },
        { direction: 'egress', ruleNumber: 100 },
      ],
    },
  ],
  securityGroups: [
    { id: 'sg-sensor', inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: ['10.0.0.0/16'] }] },
  ],
  networkInterfaces: [{ id: 'eni-sensor', availabilityZone: 'us-east-1b', securityGroupIds: ['sg-sensor'] }],
  loadBalancers: [{ arn: NLB_ARN, availabilityZones: ['us-east-1a'], listeners: [{ protocol: 'UDP', port: 4789 }] }],
  targets: [
    { id: 'tmt-0a1', type: 'network-load-balancer', networkLoadBalancerArn: NLB_ARN },
    { id: 'tmt-0b1', type: 'network-interface', networkInterfaceId: 'eni-sensor' },
  ],
  vpcs: [{ id: 'vpc-0a1', cidrs: ['10.0.0.0/16'] }],
  instances: [
    {
      id: 'i-0a1',
      instanceType: 'm5.large',
      availabilityZone: 'us-east-1a',
      vpcId: 'vpc-0a1',
      networkInterfaces: [{ id: 'eni-0a1' }],
    },
    {
      id: 'i-0b1',
      instanceType: 'c5.large',
      availabilityZone: 'us-east-1b',
      vpcId: 'vpc-0a1',
      networkInterfaces: [{ id: 'eni-0b1' }],
    },
  ],
  trails: [{ name: 'management' }],
  topics: [`autotap-${STAGE}-ops`],
  subscriptions: [{ topic: `autotap-${STAGE}-ops`, protocol: 'email', endpoint: 'ops@example.com' }],
  secrets: [{ arn: APPLIANCE_SECRET, value: 'api-key' }],
  // The poller's role as deploy/roles.ts writes it: the configured ARN, and the ARN with any suffix.
  roles: [
    {
      name: 'poll-role',
      policies: [
        {
          name: 'DetectionsPoll',
          statements: [
            {
              effect: 'Allow',
              actions: ['secretsmanager:GetSecretValue'],
              resources: [APPLIANCE_SECRET, `${APPLIANCE_SECRET}-??????`],
            },
          ],
        },
      ],
    },
  ],
  functions: [{ name: `autotap-${STAGE}-detectionsPoll`, role: 'poll-role' }],
});

const deployed = Object.fromEntries(
  ['mirror-instances', 'cleanup-sessions', 'reconcile'].map((name) => [
    `autotap-${STAGE}-${name}`,
    async () => ({ status: 'SUCCEEDED' as const }),
  ]),
);

let dir: string;
let savedEnv: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-doctor-'));
  savedEnv = { ...process.env };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env = savedEnv;
  jest.restoreAllMocks();
});

interface Report {
  code: number;
  checks: CheckResult[];
  summary: Record<string, number>;
}

async function doctor(
  seed: EmulatorSeed,
  options: { deployed?: boolean; sessions?: number; config?: Record<string, unknown> } = {},
): Promise<Report> {
  const emulator = await startEmulator(seed, { stateMachines: options.deployed === false ? {} : deployed });
  try {
    // Each with its own VNI given: the emulator's random pick would scan every session per session.
    for (let i = 0; i < (options.sessions ?? 0); i += 1)
      emulator.addSession({
        networkInterfaceId: 'eni-0a1',
        targetId: 'tmt-0a1',
        filterId: 'tmf-0f1',
        sessionNumber: 1,
        virtualNetworkId: i + 1,
      });
    Object.assign(process.env, emulator.env());
    delete process.env.AWS_PROFILE;
    const file = path.join(dir, 'config.yml');
    writeFileSync(file, stringify(options.config ?? config));
    let out = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const code = await doctorCommand(['--stage', STAGE, '--config', file, '--json'], root);
    jest.restoreAllMocks();
    const { checks, summary } = JSON.parse(out) as Omit<Report, 'code'>;
    return { code, checks, summary };
  } finally {
    await emulator.close();
  }
}

const find = (report: Report, check: string, subject?: string) =>
  report.checks.find((c) => c.check === check && (subject === undefined || c.subject === subject));

test('a healthy, deployed account passes every check (exit 0)', async () => {
  const report = await doctor(healthy());
  expect(report.checks.filter((c) => c.verdict !== 'ok')).toEqual([]);
  expect(find(report, 'secret-access')).toMatchObject({
    verdict: 'ok',
    detail: `autotap-${STAGE}-detectionsPoll may read it`,
  });
  expect(report.code).toBe(0);
});

test('before deploy, the checks of the stack are skipped', async () => {
  const report = await doctor(healthy(), { deployed: false });
  expect(find(report, 'deployed')).toMatchObject({ verdict: 'skip' });
  expect(report.code).toBe(0);
});

test('a filter that does not exist', async () => {
  const report = await doctor({ ...healthy(), filters: [] });
  expect(find(report, 'filter')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('does not exist') });
  expect(report.code).toBe(1);
});

test('a filter without rules', async () => {
  const report = await doctor({ ...healthy(), filters: [{ id: 'tmf-0f1' }] });
  expect(find(report, 'filter')).toMatchObject({ verdict: 'fail', detail: expect.stringContaining('no rules') });
});

test('a target that does not exist', async () => {
  const seed = healthy();
  const report = await doctor({ ...seed, targets: seed.targets!.filter((t) => t.id !== 'tmt-0b1') });
  expect(find(report, 'target', 'tmt-0b1')).toMatchObject({ verdict: 'fail' });
  expect(find(report, 'target', 'tmt-0a1')).toMatchObject({
    verdict: 'ok',
    detail: 'Network Load Balancer in us-east-1a',
  });
});

test('an ENI target whose security group does not let UDP 4789 in', async () => {
  const report = await doctor({
    ...healthy(),
    securityGroups: [
      { id: 'sg-sensor', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16'] }] },
    ],
  });
  expect(find(report, 'udp-4789', 'tmt-0b1')).toMatchObject({
    verdict: 'fail',
    detail: expect.stringContaining('sg-sensor'),
  });
});

test("an ENI target's security group allowing UDP 4789 from another block than the sources' VPC", async () => {
  const report = await doctor({
    ...healthy(),
    securityGroups: [
      { id: 'sg-sensor', inbound: [{ protocol: 'udp', fromPort: 4789, toPort: 4789, cidrs: ['192.168.0.0/16'] }] },
    ],
  });
  expect(find(report, 'udp-4789', 'tmt-0b1')).toMatchObject({
    verdict: 'fail',
    fix: 'allow inbound UDP 4789 from 10.0.0.0/16 in sg-sensor',
  });
});

test('an NLB target without a UDP listener on 4789', async () => {
  const report = await doctor({
    ...healthy(),
    loadBalancers: [{ arn: NLB_ARN, availabilityZones: ['us-east-1a'], listeners: [{ protocol: 'TCP', port: 443 }] }],
  });
  expect(find(report, 'udp-4789', 'tmt-0a1')).toMatchObject({ verdict: 'fail' });
});

test('no CloudTrail trail', async () => {
  const report = await doctor({ ...healthy(), trails: [] });
  expect(find(report, 'cloudtrail')).toMatchObject({
    verdict: 'fail',
    detail: expect.stringContaining('no trail covers us-east-1'),
  });
});

test('a trail logging read events only', async () => {
  const report = await doctor({
    ...healthy(),
    trails: [{ name: 'reads', eventSelectors: [{ readWriteType: 'ReadOnly' }] }],
  });
  expect(find(report, 'cloudtrail')).toMatchObject({ verdict: 'fail' });
});

test('an ops subscription not confirmed yet', async () => {
  const report = await doctor({
    ...healthy(),
    subscriptions: [
      { topic: `autotap-${STAGE}-ops`, protocol: 'email', endpoint: 'ops@example.com', pendingConfirmation: true },
    ],
  });
  expect(find(report, 'ops-subscriptions')).toMatchObject({
    verdict: 'warn',
    detail: expect.stringContaining('ops@example.com'),
  });
});

test('an in-scope instance of a type Traffic Mirroring does not support', async () => {
  const seed = healthy();
  const report = await doctor({
    ...seed,
    instances: [...seed.instances!, { id: 'i-0c1', instanceType: 't2.micro', networkInterfaces: [{ id: 'eni-0c1' }] }],
  });
  expect(find(report, 'instance-types')).toMatchObject({
    verdict: 'warn',
    detail: expect.stringContaining('t2.micro'),
  });
});

test('little session quota left', async () => {
  const report = await doctor(healthy(), { sessions: 9_500 });
  expect(find(report, 'session-quota')).toMatchObject({
    verdict: 'warn',
    detail: expect.stringContaining('9500 sessions in the account'),
  });
}, 30_000);

test("a webhook reservation that the account's Lambda concurrency no longer has room for", async () => {
  const webhookSecret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/webhook-AbCdEf';
  const seed = healthy();
  const reserving = {
    ...config,
    detections: {
      ...config.detections,
      webhook: { enabled: true, secretArn: webhookSecret, reservedConcurrency: 50 },
    },
  };
  const account = (otherReservation: number): EmulatorSeed => ({
    ...seed,
    secrets: [...(seed.secrets ?? []), { arn: webhookSecret, value: 'token' }],
    lambdaConcurrentExecutions: 200,
    functions: [
      ...(seed.functions ?? []),
      { name: `autotap-${STAGE}-detectionsWebhook`, role: 'poll-role', reservedConcurrency: 20 },
      { name: 'someone-elses', role: 'poll-role', reservedConcurrency: otherReservation },
    ],
  });
  // 200 less 60 of another function's leaves 120 unreserved plus this stage's 20, given back on deploy:
  // with 100 kept unreserved, 40 fit.
  expect(find(await doctor(account(60), { config: reserving }), 'lambda-concurrency')).toMatchObject({
    verdict: 'fail',
    detail: expect.stringContaining('at most 40 fit'),
  });
  expect(find(await doctor(account(30), { config: reserving }), 'lambda-concurrency')).toMatchObject({
    verdict: 'warn',
    detail: expect.stringContaining('quotas.lambdaConcurrentExecutions is 1000 but the account has 200'),
  });
});

test('a configured secret that does not exist', async () => {
  const report = await doctor({ ...healthy(), secrets: [] });
  expect(find(report, 'secret', APPLIANCE_SECRET)).toMatchObject({ verdict: 'fail' });
});

test('a deployed function whose role may not read the secret', async () => {
  const other = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/other-AbCdEf';
  const seed = healthy();
  const report = await doctor({
    ...seed,
    roles: [
      {
        name: 'poll-role',
        policies: [
          {
            name: 'DetectionsPoll',
            statements: [{ effect: 'Allow', actions: ['secretsmanager:GetSecretValue'], resources: [other] }],
          },
        ],
      },
    ],
  });
  expect(find(report, 'secret-access', APPLIANCE_SECRET)).toMatchObject({
    verdict: 'fail',
    detail: expect.stringContaining('may not read it'),
  });
  expect(report.code).toBe(1);
});

test('the text output is one line per check with its verdict, and the fix under it', async () => {
  const emulator = await startEmulator({ ...healthy(), trails: [] }, { stateMachines: deployed });
  try {
    Object.assign(process.env, emulator.env());
    const file = path.join(dir, 'config.yml');
    writeFileSync(file, stringify(config));
    let out = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await doctorCommand(['--stage', STAGE, '--config', file], root)).toBe(1);
    expect(out).toMatch(/^FAIL {2}cloudtrail: no trail covers us-east-1.*\n {6}fix: create a trail/m);
    expect(out).toMatch(/^OK {4}filter tmf-0f1: /m);
  } finally {
    await emulator.close();
  }
});
