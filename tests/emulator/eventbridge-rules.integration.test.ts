import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, expect, test } from '@jest/globals';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { listRules } from '../../src/aws/eventbridge.ts';
import { credentials } from './fixture.ts';

/** ListRules as documented: NamePrefix, Limit 1-100, NextToken for the rest. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const names = Array.from({ length: 130 }, (_, i) => `autotap-dev-rule-${String(i).padStart(3, '0')}`);

async function start() {
  emulator = await startEmulator({
    eventRules: [...names.map((name) => ({ name })), { name: 'autotap-devx-other', state: 'DISABLED' }],
  });
  return {
    emulator,
    client: new EventBridgeClient({
      endpoint: emulator.endpoint,
      region: emulator.region,
      credentials,
      maxAttempts: 1,
    }),
  };
}

test('the adapter follows NextToken through every page of the prefix', async () => {
  const { emulator, client } = await start();
  emulator.putEventRule('autotap-dev-rule-007', 'DISABLED');
  const rules = await listRules('autotap-dev-', client);
  expect(rules.map((r) => r.name)).toEqual(names);
  expect(rules.find((r) => r.name === 'autotap-dev-rule-007')?.state).toBe('DISABLED');
  expect(emulator.calls().ListRules).toBe(2);
});

test('refuses a Limit above 100 and a prefix with characters a rule name cannot have', async () => {
  const { client } = await start();
  await expect(client.send(new ListRulesCommand({ Limit: 101 }))).rejects.toMatchObject({
    name: 'ValidationException',
  });
  await expect(client.send(new ListRulesCommand({ NamePrefix: 'autotap dev' }))).rejects.toMatchObject({
    name: 'ValidationException',
  });
  const page = await client.send(new ListRulesCommand({ NamePrefix: 'autotap-devx', Limit: 1 }));
  expect(page.Rules).toEqual([
    expect.objectContaining({ Name: 'autotap-devx-other', State: 'DISABLED', EventBusName: 'default' }),
  ]);
  expect(page.NextToken).toBeUndefined();
});
