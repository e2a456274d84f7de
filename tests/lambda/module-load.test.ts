/**
 * What a Lambda's modules do at import, beyond loading the AWS SDK: the schemas of the configuration
 * (which a deployed function never validates again, src/config/environment.ts) and of inputs most
 * Lambdas never read are built at their first use. Each build is counted through zod's own factories.
 */
import { jest } from '@jest/globals';

const built: string[] = [];
const zod = jest.requireActual<Record<string, unknown>>('zod/mini');
jest.unstable_mockModule('zod/mini', () => {
  const counted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(zod)) {
    counted[name] =
      typeof value === 'function' && /^[a-z]/.test(name)
        ? (...args: unknown[]) => {
            built.push(name);
            return (value as (...a: unknown[]) => unknown)(...args);
          }
        : value;
  }
  return counted;
});

const { configSchema } = await import('../../src/config/schema.ts');
const { normalizeInput } = await import('../../src/mirroring/input.ts');
const { normalizeCleanupInput, normalizeReconcileInput } = await import('../../src/mirroring/reconcile-input.ts');
// `lazy` is the configuration's three roots; `config` sets zod's English messages (src/validation.ts).
const atImport = built.filter((name) => name !== 'lazy' && name !== 'config');

/** The zod schemas `use` builds. */
function builtBy(use: () => unknown): number {
  const before = built.length;
  use();
  return built.length - before;
}

test('importing the configuration schema and the input readers builds no schema', () => {
  expect(atImport).toEqual([]);
});

test('the first configuration validation builds the schemas, and they keep their messages', () => {
  let result: ReturnType<typeof configSchema.safeParse> | undefined;
  expect(
    builtBy(
      () =>
        (result = configSchema.safeParse({
          mirroring: { filterId: 'nope', targets: [{ id: 'tmt-0123456789abcdef0' }] },
        })),
    ),
  ).toBeGreaterThan(100);
  expect(result?.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
    ['mirroring.filterId', 'expected an id like tmf-0123456789abcdef0'],
  ]);
  expect(builtBy(() => configSchema.safeParse({}))).toBe(0);
});

test('the input readers build their schemas at the first input, once', () => {
  expect(builtBy(() => normalizeInput({ instanceIds: ['i-0123456789abcdef0'] }))).toBeGreaterThan(0);
  expect(builtBy(() => normalizeInput({ instanceId: 'i-0123456789abcdef0' }))).toBe(0);
  expect(() => normalizeInput({ instanceIds: ['x'] })).toThrow('instanceIds[0]: "x" is not an instance id (i-...)');
  // A scheduled reconcile reads no input: nothing is built for it.
  expect(builtBy(() => normalizeReconcileInput({ 'detail-type': 'Scheduled Event', source: 'aws.events' }))).toBe(0);
  expect(builtBy(() => normalizeCleanupInput({ instanceIds: ['i-0123456789abcdef0'] }))).toBeGreaterThan(0);
  expect(() => normalizeCleanupInput({ instanceIds: ['x'] })).toThrow(
    'instanceIds[0]: "x" is not an instance id (i-...)',
  );
});
