import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { doctorCommand } from '../../cli/doctor.ts';

/** What `autotap doctor` answers before it reaches AWS: exit 2 and a message naming the problem. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    return { code: await doctorCommand(args, root), out, err };
  } finally {
    jest.restoreAllMocks();
  }
}

test('--stage is required: it names the deployed resources', async () => {
  const { code, err } = await run([]);
  expect(code).toBe(2);
  expect(err).toContain('--stage S is required');
});

test('an unknown option is refused with the usage', async () => {
  const { code, err } = await run(['--stage', 'dev', '--bogus']);
  expect(code).toBe(2);
  expect(err).toContain('usage: autotap doctor --stage S');
});

test('a stage without a configuration file says which file it looked for', async () => {
  const { code, err } = await run(['--stage', 'nosuchstage']);
  expect(code).toBe(2);
  expect(err).toContain('config/nosuchstage.yml: configuration file not found');
});

test('--help prints the usage and exits 0', async () => {
  const { code, out } = await run(['--help']);
  expect(code).toBe(0);
  expect(out).toContain('usage: autotap doctor --stage S [--config FILE] [--region R] [--profile P] [--json]');
});
