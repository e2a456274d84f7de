/**
 * Every Lambda imports the configuration schema, and a deployed one never validates its bundled
 * configuration (src/config/environment.ts): importing the module must build no zod schema, or each
 * cold start pays for some hundred schemas it does not use.
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

test('importing the schema module builds no schema; the first validation builds them', () => {
  const atImport = built.filter((name) => name !== 'lazy' && name !== 'config');
  expect(atImport).toEqual([]);
  expect(configSchema.safeParse({ mirroring: { filterId: 'nope' } }).success).toBe(false);
  expect(built.filter((name) => name === 'strictObject').length).toBeGreaterThan(10);
});
