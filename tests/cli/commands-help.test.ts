import { expect, test } from '@jest/globals';
import { main, operatorCommands, type CommandTable } from '../../cli/main.ts';
import { commands } from '../../local/commands.ts';
import { captureOutput } from './capture.ts';

/** Every command of `autotap` answers --help and -h with its own usage, and runs nothing. */

/** `table` defaults to the one bin/autotap.js runs: the operator commands and the local AWS's. */
async function runWith(argv: string[], table: CommandTable = commands) {
  const { result: code, ...output } = await captureOutput(() => main(argv, table));
  return { code, ...output };
}

test.each([
  [['simulate', '--help'], 'simulate --scenario FILE [--config FILE] [--json]'],
  [['simulate', '-h', '--scenario', 'nowhere.yml'], 'simulate --scenario FILE [--config FILE] [--json]'],
  [
    ['plan', '--help'],
    'plan [--stage S] [--config FILE] [--scenario FILE] [--vpc vpc-...] [--instance i-...] [--region R] [--profile P] [--account A [--role-name NAME]] [--json]',
  ],
  [
    ['rerun', '-h'],
    'rerun (--instance i-... | --eni eni-...) [--stage S] [--dry-run] [--wait] [--timeout SECONDS] [--region R] [--profile P] [--json]',
  ],
  [['doctor', '--help'], 'doctor --stage S [--config FILE] [--region R] [--profile P] [--json]'],
  [['doctor', '--stage', 'prod', '-h'], 'doctor --stage S [--config FILE] [--region R] [--profile P] [--json]'],
  [
    ['uninstall', '-h'],
    'uninstall --stage S [--dry-run] [--yes] [--force] [--scenario FILE] [--region R] [--profile P] [--json]',
  ],
  [['demo', '--help'], 'demo'],
  [
    ['detections', '--help'],
    'detections preview FILE [--json] [--appliance-url URL] [--min-risk N] [--slack-format block-kit|amazon-q]',
  ],
  [
    ['detections', 'preview', '-h'],
    'detections preview FILE [--json] [--appliance-url URL] [--min-risk N] [--slack-format block-kit|amazon-q]',
  ],
  [['bench', '--help'], 'bench [--quick] [--instances N] [--concurrency N] [--scale X] [--describe-capacity N]'],
])('autotap %j prints the usage of that command, exit 0', async (argv, first) => {
  const r = await runWith(argv);
  expect(r).toMatchObject({ code: 0, stderr: '', logged: 0 });
  expect(r.stdout.split('\n')[0]).toBe(`usage: autotap ${first}`);
});

test('autotap --help lists every command of the table, the local ones too', async () => {
  const r = await runWith(['--help']);
  expect(r.stdout.match(/^ {2}\S+/gm)?.map((l) => l.trim())).toEqual([
    'simulate',
    'plan',
    'status',
    'detections',
    'rerun',
    'doctor',
    'member-template',
    'uninstall',
    'demo',
    'bench',
    '--version,',
  ]);
});

test('without the local table, the operator commands alone: no simulate', async () => {
  const r = await runWith(['simulate'], operatorCommands);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('unknown command "simulate"');
});
