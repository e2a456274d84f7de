import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { parseCommandArgs } from '../../cli/args.ts';
import { CommandError } from '../../cli/errors.ts';
import { main, type CommandTable } from '../../cli/main.ts';
import { closest, editDistance } from '../../cli/suggest.ts';
import { captureOutput } from './capture.ts';

/** The dispatcher (cli/main.ts) with a table of stand-in commands: help, version, errors, suggestions. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function run(argv: string[], commands: CommandTable) {
  const { result: code, stdout, stderr } = await captureOutput(() => main(argv, commands, root));
  return { code, stdout, stderr };
}

function table() {
  const calls: string[][] = [];
  const commands: CommandTable = {
    deploy: { usage: '  deploy [--stage S]\n      Deploy it.\n', run: async (args) => (calls.push(args), 0) },
    status: {
      usage: '  status [--json]\n      Say how it is.\n',
      run: async (args) => {
        const { values } = parseCommandArgs('status', {
          args,
          options: { json: { type: 'boolean' }, stage: { type: 'string' } },
        });
        if (values.stage === 'bad') throw new CommandError('status: the account says no');
        return 0;
      },
    },
  };
  return { commands, calls };
}

test('--help and -h after a command print its usage and run nothing', async () => {
  const { commands, calls } = table();
  for (const flag of ['--help', '-h']) {
    const r = await run(['deploy', '--stage', 'prod', flag], commands);
    expect(r).toEqual({ code: 0, stdout: 'usage: autotap deploy [--stage S]\n      Deploy it.\n', stderr: '' });
  }
  expect(calls).toEqual([]);
});

test('--help after -- is an argument of the command, not a request for help', async () => {
  const { commands, calls } = table();
  expect((await run(['deploy', '--', '--help'], commands)).code).toBe(0);
  expect(calls).toEqual([['--', '--help']]);
});

test('autotap --help, -h and help list every command; help NAME prints one', async () => {
  const { commands } = table();
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const r = await run(argv, commands);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: autotap <command>/);
    expect(r.stdout).toContain('  deploy [--stage S]');
    expect(r.stdout).toContain('  status [--json]');
  }
  expect((await run(['help', 'status'], commands)).stdout).toBe(
    'usage: autotap status [--json]\n      Say how it is.\n',
  );
  expect(await run(['help', 'stauts'], commands)).toMatchObject({
    code: 2,
    stderr: 'autotap: help: unknown command "stauts" (did you mean "status"?)\n',
  });
});

test('--version and -v print the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v'])
    expect(await run([flag], table().commands)).toEqual({ code: 0, stdout: `autotap ${version}\n`, stderr: '' });
});

test('a mistyped command gets the closest one, a word far from any gets none', async () => {
  const { commands } = table();
  expect(await run(['deplyo'], commands)).toMatchObject({
    code: 2,
    stderr: 'autotap: unknown command "deplyo" (did you mean "deploy"?); `autotap --help` lists the commands\n',
  });
  expect((await run(['frobnicate'], commands)).stderr).toBe(
    'autotap: unknown command "frobnicate"; `autotap --help` lists the commands\n',
  );
});

test("a mistyped option gets the closest option of that command, and the command's usage", async () => {
  const r = await run(['status', '--jsno'], table().commands);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(
    'autotap: status: unknown option --jsno (did you mean "--json"?)\nusage: autotap status [--json]\n      Say how it is.\n',
  );
});

test('a missing value names the option; a CommandError is printed without the usage', async () => {
  const { commands } = table();
  expect((await run(['status', '--stage'], commands)).stderr).toMatch(
    /^autotap: status: Option '--stage <value>' argument missing\nusage: autotap status/,
  );
  expect(await run(['status', '--stage', 'bad'], commands)).toMatchObject({
    code: 2,
    stderr: 'autotap: status: the account says no\n',
  });
});

test('a command that ran and answers with a failure exits with its own code, 1; one that could not run, 2', async () => {
  const commands: CommandTable = {
    check: { usage: '  check\n      Check it.\n', run: async () => 1 },
    broken: {
      usage: '  broken\n      Cannot.\n',
      run: async () => {
        throw new Error('no route to the account');
      },
    },
  };
  expect(await run(['check'], commands)).toEqual({ code: 1, stdout: '', stderr: '' });
  expect(await run(['broken'], commands)).toEqual({
    code: 2,
    stdout: '',
    stderr: 'autotap: no route to the account\n',
  });
  expect((await run(['--help'], commands)).stdout).toContain(
    'Exit codes: 0 done; 1 the command ran and its answer is a failure',
  );
});

test('no command: the usage, exit 2', async () => {
  const r = await run([], table().commands);
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/^usage: autotap <command>/);
});

test('edit distance and the closest word', () => {
  expect([
    editDistance('simulte', 'simulate'),
    editDistance('plan', 'plan'),
    editDistance('', 'abc'),
    editDistance('rerun', 'return'),
  ]).toEqual([1, 0, 3, 2]);
  expect(closest('--regoin', ['--region', '--profile'])).toBe('--region');
  expect(closest('pln', ['plan', 'demo'])).toBe('plan');
  // Two edits in a three-letter word is another word, not a typo.
  expect(closest('dmo', ['plan'])).toBeUndefined();
  expect(closest('x', ['rerun', 'demo'])).toBeUndefined();
});
