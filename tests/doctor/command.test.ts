import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { main, operatorCommands } from '../../cli/main.ts';
import { captureOutput } from '../cli/capture.ts';

/** What `autotap doctor` answers before it reaches AWS: exit 2 (could not run) and a message naming the problem. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const {
    result: code,
    stdout: out,
    stderr: err,
  } = await captureOutput(() => main(['doctor', ...args], operatorCommands, root));
  return { code, out, err };
}

test('--stage is required: it names the deployed resources', async () => {
  const { code, err } = await run([]);
  expect(code).toBe(2);
  expect(err.split('\n')[0]).toBe('autotap: doctor: --stage S is required: the stage names the deployed resources');
});

test('an unknown option is refused with the closest one and the usage', async () => {
  const { code, err } = await run(['--stage', 'dev', '--jsn']);
  expect(code).toBe(2);
  expect(err).toContain('autotap: doctor: unknown option --jsn (did you mean "--json"?)');
  expect(err).toContain('usage: autotap doctor --stage S');
});

test('a stage without a configuration file is answered with the stages that exist', async () => {
  const { code, err } = await run(['--stage', 'devv']);
  expect(code).toBe(2);
  expect(err.split('\n')[0]).toBe(
    'autotap: --stage devv: no config/devv.yml (did you mean "dev"?); the stages that exist: dev',
  );
});

test('a malformed --region is refused before any AWS call', async () => {
  const { code, err } = await run(['--stage', 'dev', '--region', 'useast1']);
  expect(code).toBe(2);
  expect(err.split('\n')[0]).toBe('autotap: --region: expected a region like us-east-1, got "useast1"');
});

test('--help prints the usage and exits 0', async () => {
  const { code, out } = await run(['--help']);
  expect(code).toBe(0);
  expect(out).toContain('usage: autotap doctor --stage S [--config FILE] [--region R] [--profile P] [--json]');
});
