import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { renderSimulation } from '../../local/render-simulation.ts';
import { parseScenario } from '../../local/scenario.ts';
import { simulate } from '../../local/simulate.ts';
import { actions, autotapSessions, results, runScenario as run } from './run.ts';

/** Each scenario in scenarios/ as `autotap simulate` runs it: the end state it is there to show. */

describe('scenarios/', () => {
  test('full-target.yml: ten sources fill the ENI target, the rest are skipped and ops is told', async () => {
    const report = await run('full-target.yml');
    const outcomes = results(report);
    expect(outcomes.filter((r) => r.outcome === 'created')).toHaveLength(10);
    expect(outcomes.filter((r) => r.reason === 'target-full').map((r) => r.instanceId)).toEqual(['i-0f011000000000b']);
    expect(outcomes.filter((r) => r.reason === 'no-target').map((r) => r.instanceId)).toEqual(['i-0f011000000000c']);
    expect(report.sessions).toHaveLength(10);
    const ops = report.published
      .filter((m) => m.topic === 'ops')
      .map((m) => m.message)
      .join('\n');
    expect(ops).toContain('eni-0f011000000000b of i-0f011000000000b: skipped, target-full');
    expect(ops).toContain('eni-0f011000000000c of i-0f011000000000c: skipped, no-target');
  });

  test("reconcile.yml: the dry run plans what the run then does, and another tool's session stays", async () => {
    const report = await run('reconcile.yml');
    const dry = actions(report, 0);
    const real = actions(report, 1);
    expect(dry.every((a) => a.outcome === 'planned')).toBe(true);
    expect(real.map((a) => [a.action, a.networkInterfaceId, a.reason])).toEqual(
      dry.map((a) => [a.action, a.networkInterfaceId, a.reason]),
    );
    expect(real.map((a) => `${a.action} ${a.outcome} ${a.networkInterfaceId} ${a.reason}`).sort()).toEqual([
      'create created eni-0ec0000000000001 not-mirrored',
      'create created eni-0ec0000000000005 not-mirrored',
      'delete deleted eni-0ec0000000000003 instance-stopped',
      'delete deleted eni-0ec0000000000004 excluded-by-tag',
      'modify modified eni-0ec0000000000002 target-not-configured',
    ]);
    expect(report.sessions.map((s) => s.trafficMirrorSessionId)).toContain('tms-0e1e000000000005');
    expect(autotapSessions(report).every((s) => s.trafficMirrorTargetId === 'tmt-0ec0000000000001')).toBe(true);
    const text = renderSimulation(report);
    expect(text).toContain('dry run, nothing changed: would-create 2, would-delete 2, would-modify 1');
    expect(text).toMatch(/modify\s+modified\s+i-0ec0000000000002\s+eni-0ec0000000000002\s+target-not-configured/);
  });

  test('tags.yml: an opt-out and an opt-in tag in one reconcile through the tag-changes queue; a tag of no scope key starts nothing', async () => {
    const report = await run('tags.yml');
    expect(report.executions.map((e) => [e.rule, e.stateMachine, e.status, e.coalesced])).toEqual([
      [
        'autotap-dev-tags-changed',
        'reconcile',
        'SUCCEEDED',
        { events: [0, 1, 2], rules: ['autotap-dev-tags-changed', 'autotap-dev-tag-calls'] },
      ],
    ]);
    expect(report.tagChanges).toEqual({ queued: 4, ignored: [3], parked: [] });
    expect(actions(report, 0).map((a) => `${a.action} ${a.outcome} ${a.networkInterfaceId} ${a.reason}`)).toEqual([
      'delete deleted eni-0a8000000000001 excluded-by-tag',
      'create created eni-0a8000000000002 not-mirrored',
    ]);
    expect(report.sessions.map((x) => x.networkInterfaceId)).toEqual(['eni-0a8000000000002']);
    const text = renderSimulation(report);
    expect(text).toContain('one batch of the tag-changes queue): SUCCEEDED');
    expect(text).toContain('Events 4: tag changes that cannot change scope');
  });

  test("tamper.yml: a deleted session comes back, a re-pointed one goes back, a stopped instance's does not, another tool's stays", async () => {
    const report = await run('tamper.yml');
    expect(report.executions.map((e) => `${e.rule} ${e.stateMachine} ${e.status}`)).toEqual(
      Array(4).fill('autotap-dev-session-tampered reconcile SUCCEEDED'),
    );
    expect(
      [0, 1, 2, 3].map((i) => actions(report, i).map((a) => `${a.outcome} ${a.networkInterfaceId} ${a.reason}`)),
    ).toEqual([
      ['created eni-0a7000000000001 not-mirrored'],
      ['modified eni-0a7000000000002 target-not-configured'],
      [],
      [],
    ]);
    expect(
      autotapSessions(report)
        .map((s) => `${s.networkInterfaceId} ${s.trafficMirrorTargetId}`)
        .sort(),
    ).toEqual(['eni-0a7000000000001 tmt-0a7000000000001', 'eni-0a7000000000002 tmt-0a7000000000001']);
    expect(report.sessions.find((s) => s.trafficMirrorSessionId === 'tms-0e1e000000000004')).toMatchObject({
      trafficMirrorTargetId: 'tmt-0a70000000000f1',
    });
    const ops = report.published.filter((m) => m.topic === 'ops');
    expect(ops.map((m) => m.subject)).toEqual([
      '[autotap] session tms-0a7000000000001 deleted by arn:aws:sts::123456789012:assumed-role/Ops/jane',
      '[autotap] session tms-0a7000000000002 modified by arn:aws:sts::123456789012:assumed-role/Ops/jane',
      '[autotap] session tms-0a7000000000003 deleted by arn:aws:sts::123456789012:assumed-role/Ops/jane',
    ]);
    expect(ops[1]!.message).toContain('Changes asked for: trafficMirrorTargetId=tmt-0a70000000000f1.');
    expect(ops[2]!.message).toContain('Nothing to restore');
  });

  test("cleanup.yml: autotap's sessions of terminated, stopped and detached sources go, the others stay", async () => {
    const report = await run('cleanup.yml');
    expect(
      [0, 1, 2].map((i) => actions(report, i).map((a) => `${a.outcome} ${a.trafficMirrorSessionId} ${a.reason}`)),
    ).toEqual([
      ['deleted tms-0c1ea0000000001 instance-terminated'],
      ['deleted tms-0c1ea0000000002 instance-stopped'],
      ['deleted tms-0c1ea00000000d1 interface-detached'],
    ]);
    expect(report.sessions.map((s) => s.trafficMirrorSessionId).sort()).toEqual([
      'tms-0c1ea0000000003',
      'tms-0e1e000000000001',
    ]);
    expect(renderSimulation(report)).toMatch(
      /delete\s+deleted\s+i-0c1ea0000000001\s+eni-0c1ea0000000001\s+instance-terminated/,
    );
  });

  test('events go through the packaged rules: each execution names its rule, an event no rule matches is reported, not failed', async () => {
    const running = JSON.parse(
      readFileSync(new URL('../../events/ec2-instance-running.json', import.meta.url), 'utf8'),
    ) as {
      detail: Record<string, unknown>;
    };
    const scenario = parseScenario({
      region: 'us-east-1',
      targets: [{ id: 'tmt-0a0a000000000001', type: 'network-load-balancer' }],
      filters: [{ id: 'tmf-0a0a000000000001' }],
      instances: [
        {
          id: 'i-0a0a000000000001',
          availabilityZone: 'us-east-1a',
          networkInterfaces: [{ id: 'eni-0a0a000000000001' }],
        },
        {
          id: 'i-0a0a000000000002',
          availabilityZone: 'us-east-1a',
          networkInterfaces: [{ id: 'eni-0a0a000000000002' }],
        },
      ],
      config: { mirroring: { filterId: 'tmf-0a0a000000000001', targets: [{ id: 'tmt-0a0a000000000001' }] } },
      events: [
        { ...running, detail: { ...running.detail, 'instance-id': 'i-0a0a000000000001' } },
        {
          source: 'aws.ec2',
          'detail-type': 'AWS API Call via CloudTrail',
          detail: { eventSource: 'ec2.amazonaws.com', eventName: 'ModifyInstanceAttribute' },
        },
        { instanceIds: ['i-0a0a000000000002'] },
      ],
    });
    const report = await simulate(scenario, scenario.config!);
    expect(report.executions.map((e) => [e.event, e.rule, e.stateMachine, e.status])).toEqual([
      [0, 'autotap-dev-instance-running', 'mirror-instances', 'SUCCEEDED'],
      [2, null, 'mirror-instances', 'SUCCEEDED'],
    ]);
    expect(report.unrouted).toEqual([
      { event: 1, source: 'aws.ec2', detailType: 'AWS API Call via CloudTrail', eventName: 'ModifyInstanceAttribute' },
    ]);
    expect(report.sessions.map((x) => x.networkInterfaceId).sort()).toEqual([
      'eni-0a0a000000000001',
      'eni-0a0a000000000002',
    ]);
    const text = renderSimulation(report);
    expect(text).toContain('(event 1, rule autotap-dev-instance-running): SUCCEEDED');
    expect(text).toContain(
      'Event 2: aws.ec2 "AWS API Call via CloudTrail" ModifyInstanceAttribute: no rule of the stack matches it, so EventBridge delivers it nowhere.',
    );
  });

  test('tags follow at once: an opt-out tag removes the session, a removed one mirrors the instance; only the tagged instances are looked at, in one reconcile, and a launch before it makes no duplicate', async () => {
    const sampleOf = (file: string) =>
      JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as {
        resources: string[];
        detail: Record<string, unknown>;
      };
    // Tags' event names the instance by ARN and carries its tags after the change.
    const tagged = (instanceId: string, tags: Record<string, string>) => {
      const event = sampleOf('tag-change-on-instance.json');
      return {
        ...event,
        resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
        detail: { ...event.detail, tags },
      };
    };
    const running = sampleOf('ec2-instance-running.json');
    const scenario = parseScenario({
      region: 'us-east-1',
      concurrency: 3,
      targets: [{ id: 'tmt-0a0a000000000001', type: 'network-load-balancer' }],
      filters: [{ id: 'tmf-0a0a000000000001' }],
      instances: [
        // Opted out by its owner a moment ago (the event below); autotap's session is still there.
        {
          id: 'i-0a0a000000000001',
          availabilityZone: 'us-east-1a',
          tags: { 'autotap:mirror': 'false' },
          networkInterfaces: [{ id: 'eni-0a0a000000000001' }],
        },
        // Its opt-out tag was just removed: not mirrored yet.
        {
          id: 'i-0a0a000000000002',
          availabilityZone: 'us-east-1a',
          networkInterfaces: [{ id: 'eni-0a0a000000000002' }],
        },
        // Unmirrored too, but no tag of it changed: the tag reconcile leaves it to the others.
        {
          id: 'i-0a0a000000000003',
          availabilityZone: 'us-east-1a',
          networkInterfaces: [{ id: 'eni-0a0a000000000003' }],
        },
      ],
      sessions: [
        {
          id: 'tms-0a0a000000000001',
          networkInterfaceId: 'eni-0a0a000000000001',
          targetId: 'tmt-0a0a000000000001',
          filterId: 'tmf-0a0a000000000001',
          sessionNumber: 1,
          tags: { 'autotap:managed': 'true', 'autotap:instance-id': 'i-0a0a000000000001' },
        },
      ],
      config: {
        mirroring: {
          filterId: 'tmf-0a0a000000000001',
          targets: [{ id: 'tmt-0a0a000000000001' }],
          scope: { excludeTags: { 'autotap:mirror': 'false' } },
        },
      },
      events: [
        tagged('i-0a0a000000000001', { 'autotap:mirror': 'false' }),
        tagged('i-0a0a000000000002', {}),
        // The same instance's launch event at the same moment: both choose the same target and token.
        { ...running, detail: { ...running.detail, 'instance-id': 'i-0a0a000000000002' } },
      ],
    });
    const report = await simulate(scenario, scenario.config!);
    expect(report.unrouted).toEqual([]);
    // The launch starts at once; the two tag events wait out the queue's batching window together.
    expect(report.executions.map((e) => [e.rule, e.stateMachine, e.status])).toEqual([
      ['autotap-dev-instance-running', 'mirror-instances', 'SUCCEEDED'],
      ['autotap-dev-tags-changed', 'reconcile', 'SUCCEEDED'],
    ]);
    expect(report.executions[1]!.coalesced).toEqual({ events: [0, 1], rules: ['autotap-dev-tags-changed'] });
    expect(report.executions[1]!.input).toEqual({ instanceIds: ['i-0a0a000000000001', 'i-0a0a000000000002'] });
    expect(actions(report, 1).map((a) => `${a.action} ${a.outcome} ${a.networkInterfaceId} ${a.reason}`)).toEqual([
      'delete deleted eni-0a0a000000000001 excluded-by-tag',
    ]);
    expect(report.tagChanges).toEqual({ queued: 2, ignored: [], parked: [] });
    // One session for i-...2 whoever created it; none for i-...3, whose tags did not change; none left on i-...1.
    expect(report.sessions.map((x) => x.networkInterfaceId)).toEqual(['eni-0a0a000000000002']);
  });
});
