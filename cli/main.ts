import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UsageError } from './errors.ts';
import { didYouMean } from './suggest.ts';
import {
  DETECTIONS_USAGE,
  DOCTOR_USAGE,
  MEMBER_TEMPLATE_USAGE,
  PLAN_USAGE,
  RERUN_USAGE,
  STATUS_USAGE,
  UNINSTALL_USAGE,
} from './usage.ts';

/** The checkout autotap runs from: config/, scenarios/, events/ and package.json are found there. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Command {
  /**
   * The command's entry in the usage text: a first line `  name options`, then its description
   * indented by six spaces. `autotap <name> --help` prints it alone.
   */
  usage: string;
  /** The longer text `--help` prints instead of `usage`, for a command with many options (loaded on demand). */
  help?: () => Promise<string>;
  /**
   * Runs the command on the arguments after its name. Returns 0 (done, all well) or 1 (it ran and the
   * answer is a failure); throws UsageError or CommandError when it cannot run (the dispatcher exits 2).
   */
  run(args: string[], root: string): Promise<number>;
}

/** Commands by name, in the order the usage text lists them. */
export type CommandTable = Record<string, Command>;

/** The commands that work against a real account or on local files; the local AWS adds its own (local/commands.ts). */
// Each loaded on demand: --help and --version need none of them, and each needs its own SDK clients.
export const operatorCommands: CommandTable = {
  plan: { usage: PLAN_USAGE, run: async (args, root) => (await import('./plan.ts')).planCommand(args, root) },
  status: {
    usage: STATUS_USAGE,
    run: async (args, root) => (await import('./status.ts')).statusCommand(args, root),
  },
  detections: { usage: DETECTIONS_USAGE, run: async (args) => (await import('./detections.ts')).runDetections(args) },
  rerun: { usage: RERUN_USAGE, run: async (args, root) => (await import('./rerun.ts')).rerunCommand(args, root) },
  doctor: { usage: DOCTOR_USAGE, run: async (args, root) => (await import('./doctor.ts')).doctorCommand(args, root) },
  'member-template': {
    usage: MEMBER_TEMPLATE_USAGE,
    run: async (args, root) => (await import('./member-template.ts')).memberTemplateCommand(args, root),
  },
  uninstall: {
    usage: UNINSTALL_USAGE,
    run: async (args, root) => (await import('./uninstall.ts')).uninstallCommand(args, root),
  },
};

const HELP = new Set(['--help', '-h']);
const VERSION = new Set(['--version', '-v']);

export function usage(commands: CommandTable): string {
  return `usage: autotap <command> [options]    (autotap <command> --help for one command)

${Object.values(commands)
  .map((c) => c.usage)
  .join('')}  --version, -v
      Print autotap's version.

Exit codes: ${EXIT.ok} done; ${EXIT.failed} the command ran and its answer is a failure (a check failed, an
execution failed, a detection or a session it could not handle); ${EXIT.notRun} it could not do its work
(the command line, the configuration, AWS access, an error from AWS, a refusal to go on).
`;
}

function commandUsage(command: Command): string {
  return `usage: autotap ${command.usage.trimStart()}`;
}

async function commandHelp(command: Command): Promise<string> {
  return command.help
    ? `usage: autotap ${(await command.help()).trimStart().replace(/\n?$/, '\n')}`
    : commandUsage(command);
}

function version(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs `autotap <argv>` with the given commands; returns the exit code (EXIT). */
export async function main(argv: string[], commands: CommandTable = operatorCommands, root = ROOT): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stdout.write(usage(commands));
    return EXIT.notRun;
  }
  if (HELP.has(name) || name === 'help') {
    const about = rest[0];
    const command = about === undefined ? undefined : commands[about];
    if (about !== undefined && !command) {
      process.stderr.write(`autotap: help: unknown command "${about}"${didYouMean(about, Object.keys(commands))}\n`);
      return EXIT.notRun;
    }
    process.stdout.write(about && command ? await commandHelp(command) : usage(commands));
    return 0;
  }
  if (VERSION.has(name)) {
    process.stdout.write(`autotap ${version(root)}\n`);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(
      `autotap: unknown command "${name}"${didYouMean(name, [...Object.keys(commands), 'help'])}; \`autotap --help\` lists the commands\n`,
    );
    return EXIT.notRun;
  }
  try {
    // Before the command parses anything: `--help` anywhere prints its usage and runs nothing.
    const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (options.some((arg) => HELP.has(arg))) {
      process.stdout.write(await commandHelp(command));
      return 0;
    }
    return await command.run(rest, root);
  } catch (error) {
    const e = error as Error;
    process.stderr.write(`autotap: ${e.message}\n`);
    if (e instanceof UsageError) process.stderr.write(commandUsage(command));
    return EXIT.notRun;
  }
}
