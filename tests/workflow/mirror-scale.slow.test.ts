import { parseConfig } from '../../src/config/load.ts';
import {
  MAX_INSTANCE_IDS_PER_EXECUTION,
  MAX_INTERFACES_PER_EXECUTION,
  STATE_BYTES_PER_INTERFACE,
  STATE_BYTES_RESERVED,
} from '../../src/mirroring/input.ts';
import type { EniResult } from '../../src/mirroring/types.ts';
import { startLocalAutotap, type LocalAutotap } from '../../local/environment.ts';
import { HISTORY_EVENT_LIMIT, STATES_PAYLOAD_LIMIT_BYTES } from '../../local/stepfunctions/runner.ts';

/**
 * mirror-instances at the largest input it accepts, with the largest state an ENI can make: ids as
 * long as AWS's, four targets (three alternatives per attachment), two foreign sessions on every ENI
 * (two session numbers used) and a launch time. The runner fails any state over 256 KiB.
 */

/** An id of AWS's length: prefix and 17 hex digits. */
const awsId = (prefix: string, i: number) => `${prefix}-${(0x100000000000000000n + BigInt(i)).toString(16).slice(1)}`;
const targets = [0, 1, 2, 3].map((t) => awsId('tmt', t));
const config = parseConfig({ mirroring: { filterId: awsId('tmf', 0), targets: targets.map((id) => ({ id })) } });

function account(instances: number, enisPerInstance: number) {
  const eni = (i: number, j: number) => awsId('eni', i * 64 + j);
  return {
    targets: [
      ...targets.map((id) => ({ id, type: 'network-load-balancer' as const })),
      { id: awsId('tmt', 9), type: 'network-load-balancer' as const },
    ],
    filters: [{ id: awsId('tmf', 0) }, { id: awsId('tmf', 9) }],
    instances: Array.from({ length: instances }, (_, i) => ({
      id: awsId('i', i),
      launchTime: '2026-01-01T00:00:00.000Z',
      networkInterfaces: Array.from({ length: enisPerInstance }, (_, j) => ({ id: eni(i, j), deviceIndex: j })),
    })),
    sessions: Array.from({ length: instances }, (_, i) =>
      Array.from({ length: enisPerInstance }, (_, j) =>
        [1, 2].map((n) => ({
          networkInterfaceId: eni(i, j),
          targetId: awsId('tmt', 9),
          filterId: awsId('tmf', 9),
          sessionNumber: n,
        })),
      ),
    ).flat(2),
    enis: Array.from({ length: instances }, (_, i) =>
      Array.from({ length: enisPerInstance }, (_, j) => eni(i, j)),
    ).flat(),
  };
}

let local: LocalAutotap;
afterEach(async () => {
  await local?.close();
});

const resultsOf = (output: unknown) => (output as { results: EniResult[] }).results;

it(`mirrors the largest request of ENI ids (${MAX_INTERFACES_PER_EXECUTION}) within 256 KiB per state`, async () => {
  const { enis, ...seed } = account(MAX_INTERFACES_PER_EXECUTION, 1);
  local = await startLocalAutotap(seed, config);
  const run = await local.run('mirror-instances', { networkInterfaceIds: enis });
  expect(run.error).toBeNull();
  expect(resultsOf(run.output).filter((r) => r.outcome === 'created')).toHaveLength(MAX_INTERFACES_PER_EXECUTION);
  expect(run.largestPayloadBytes).toBeLessThanOrEqual(STATES_PAYLOAD_LIMIT_BYTES);
  // The per-ENI figure the cap is computed from covers what an ENI really adds.
  expect(run.largestPayloadBytes).toBeLessThanOrEqual(
    STATE_BYTES_RESERVED + MAX_INTERFACES_PER_EXECUTION * STATE_BYTES_PER_INTERFACE,
  );
  expect(run.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT / 4);
}, 120_000);

it(`mirrors the largest request of instance ids (${MAX_INSTANCE_IDS_PER_EXECUTION}), each with as many ENIs as the emulator allows`, async () => {
  const { enis, ...seed } = account(MAX_INSTANCE_IDS_PER_EXECUTION, 32);
  local = await startLocalAutotap(seed, config);
  const run = await local.run('mirror-instances', { instanceIds: seed.instances.map((i) => i.id) });
  expect(run.error).toBeNull();
  expect(resultsOf(run.output).filter((r) => r.outcome === 'created')).toHaveLength(enis.length);
  expect(run.largestPayloadBytes).toBeLessThanOrEqual(STATES_PAYLOAD_LIMIT_BYTES);
}, 120_000);
