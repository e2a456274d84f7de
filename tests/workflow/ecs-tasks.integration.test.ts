import { readFileSync } from 'node:fs';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { routeEvent } from '../../local/eventbridge/router.ts';
import { parseConfig } from '../../src/config/load.ts';

/**
 * ECS tasks in awsvpc mode on EC2 hosts (`mirroring.sources.ecsTasks`), through the packaged rules
 * and the real definitions on the local AWS. ECS creates a task's ENI and attaches it to the host
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html), so the
 * task state change and ECS's own AttachNetworkInterface call both name it; when the task stops, ECS
 * deletes the ENI and EC2 its sessions.
 */

const config = parseConfig({
  mirroring: { filterId: 'tmf-0f1', targets: [{ id: 'tmt-0a1' }], sources: { ecsTasks: true } },
});
const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };
const task = sample('ecs-task-running.json');
const attach = sample('cloudtrail-attach-network-interface.json');

/** The task state change of a task whose ENI is `eni`. */
function taskRunning(eni: string, taskId: string): Record<string, unknown> {
  const [attachment] = task.detail.attachments as { details: { name: string; value: string }[] }[];
  const details = attachment!.details.map((d) => (d.name === 'networkInterfaceId' ? { ...d, value: eni } : d));
  return {
    ...task,
    detail: {
      ...task.detail,
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${taskId}`,
      attachments: [{ ...attachment, details }],
    },
  };
}

/** ECS's own call attaching the task's ENI to its host, as CloudTrail records it. */
function ecsAttached(eni: string, instanceId: string, deviceIndex: number): Record<string, unknown> {
  return {
    ...attach,
    detail: {
      ...attach.detail,
      userIdentity: { type: 'AWSService', invokedBy: 'ecs.amazonaws.com' },
      sourceIPAddress: 'ecs.amazonaws.com',
      userAgent: 'ecs.amazonaws.com',
      requestParameters: { networkInterfaceId: eni, instanceId, deviceIndex },
    },
  };
}

const HOST = 'i-0ec5';
const TASK_ENIS = ['eni-0ec5000000000001', 'eni-0ec5000000000002', 'eni-0ec5000000000003'];
const seed = {
  targets: [{ id: 'tmt-0a1', type: 'network-load-balancer' as const }],
  filters: [{ id: 'tmf-0f1' }],
  instances: [
    {
      id: HOST,
      instanceType: 'm5.2xlarge',
      availabilityZone: 'us-east-1a',
      networkInterfaces: [
        { id: 'eni-0ec5000000000000' },
        ...TASK_ENIS.map((id, i) => ({ id, deviceIndex: i + 1, deleteOnTermination: false })),
      ],
    },
  ],
};

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

/** Every execution the stack's rules start for the event, run to its end. */
async function deliver(event: Record<string, unknown>) {
  const deliveries = routeEvent(event, 'dev', config);
  return Promise.all(deliveries.map((d) => local.run(d.stateMachine, d.input)));
}

const sessionsOf = (eni: string) => local.emulator.sessions().filter((s) => s.networkInterfaceId === eni);

test("a running task's ENI is mirrored at once, and its host's own ENI is left to the host's triggers", async () => {
  local = await startLocalAutotap(seed, config);
  const [run, ...more] = await deliver(taskRunning(TASK_ENIS[0]!, 'a1'));
  expect(more).toEqual([]);
  expect(run!.status).toBe('SUCCEEDED');
  expect((run!.output as { results: unknown[] }).results).toEqual([
    expect.objectContaining({ instanceId: HOST, networkInterfaceId: TASK_ENIS[0], outcome: 'created' }),
  ]);
  expect(sessionsOf(TASK_ENIS[0]!)).toEqual([
    expect.objectContaining({
      trafficMirrorTargetId: 'tmt-0a1',
      tags: { 'autotap:managed': 'true', 'autotap:instance-id': HOST },
    }),
  ]);
  expect(sessionsOf('eni-0ec5000000000000')).toEqual([]);
});

test('a storm of task events, each delivered twice and racing ECS attach calls, leaves one session per ENI', async () => {
  local = await startLocalAutotap(seed, config);
  const events = TASK_ENIS.flatMap((eni, i) => [
    taskRunning(eni, `t${i}`),
    taskRunning(eni, `t${i}`),
    ecsAttached(eni, HOST, i + 1),
  ]);
  const runs = (await Promise.all(events.map(deliver))).flat();
  expect(runs).toHaveLength(9);
  expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
  for (const eni of TASK_ENIS) expect(sessionsOf(eni)).toHaveLength(1);
  expect(local.emulator.sessions()).toHaveLength(3);
});

test("a stopped task's ENI goes with its sessions (EC2 deletes them), and reconcile finds nothing left", async () => {
  local = await startLocalAutotap(seed, config);
  await deliver(taskRunning(TASK_ENIS[0]!, 'a1'));
  expect(sessionsOf(TASK_ENIS[0]!)).toHaveLength(1);
  local.emulator.deleteNetworkInterface(TASK_ENIS[0]!);
  expect(local.emulator.sessions()).toEqual([]);
  const reconcile = await local.run('reconcile', { dryRun: true });
  expect(reconcile.status).toBe('SUCCEEDED');
  expect(JSON.stringify(reconcile.output)).not.toContain(TASK_ENIS[0]);
});

describe("a trunked task's branch ENI is never attempted", () => {
  test.each([
    [
      'listed on its host',
      {
        instances: [
          {
            ...seed.instances[0]!,
            networkInterfaces: [
              { id: 'eni-0ec5000000000000' },
              { id: TASK_ENIS[0]!, deviceIndex: 1, interfaceType: 'branch' as const },
            ],
          },
        ],
      },
    ],
    [
      'on no instance',
      {
        instances: [{ ...seed.instances[0]!, networkInterfaces: [{ id: 'eni-0ec5000000000000' }] }],
        networkInterfaces: [{ id: TASK_ENIS[0]!, interfaceType: 'branch' as const, availabilityZone: 'us-east-1a' }],
      },
    ],
  ])('%s: skipped for its type, with no create call', async (_where, account) => {
    local = await startLocalAutotap({ ...seed, ...account }, config);
    const [run] = await deliver(taskRunning(TASK_ENIS[0]!, 'b1'));
    expect(run!.status).toBe('SUCCEEDED');
    expect((run!.output as { results: unknown[] }).results).toEqual([
      expect.objectContaining({ networkInterfaceId: TASK_ENIS[0], outcome: 'skipped', reason: 'interface-type' }),
    ]);
    expect(local.emulator.calls().CreateTrafficMirrorSession ?? 0).toBe(0);
  });
});

test('a task without an ENI does nothing; a Fargate task given by hand fails naming the field, creating nothing', async () => {
  local = await startLocalAutotap(seed, config);
  const [bridge] = await deliver({ ...task, detail: { ...task.detail, attachments: [] } });
  expect(bridge!.status).toBe('SUCCEEDED');
  expect((bridge!.output as { results: unknown[] }).results).toEqual([]);
  const fargate = await local.run('mirror-instances', { ...task, detail: { ...task.detail, launchType: 'FARGATE' } });
  expect(fargate.status).toBe('FAILED');
  expect(fargate.error).toMatchObject({
    name: 'InvalidInput',
    message: expect.stringContaining('detail.launchType: expected "EC2"'),
  });
  expect(local.emulator.sessions()).toEqual([]);
});
