import { createInterface } from 'node:readline/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import { deleteSession, describeAllSessions, ec2Client } from '../src/aws/ec2.ts';
import { listRules } from '../src/aws/eventbridge.ts';
import type { Session } from '../src/mirroring/types.ts';
import {
  countOutcomes,
  deleteManagedSessions,
  enabledCreatingRules,
  planUninstall,
  shownSession,
  type DeletionResult,
  type RuleState,
  type UninstallPlan,
  type UninstallPorts,
} from '../src/mirroring/uninstall.ts';
import { parseCommandArgs } from './args.ts';
import { applyAwsOptions, awsOptions, requireAwsAccess } from './aws-options.ts';
import { EXIT, UsageError } from './errors.ts';
import { requireStage } from './stage.ts';

/** The options of `uninstall` against an account; the local AWS adds `--scenario` (local/commands.ts). */
export const uninstallOptions = {
  stage: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  ...awsOptions,
} satisfies ParseArgsOptionsConfig;

export interface UninstallOptions {
  stage: string;
  dryRun: boolean;
  /** No confirmation prompt. */
  yes: boolean;
  /** Go on although the stage's session-creating rules are enabled. */
  force: boolean;
  json: boolean;
}

/** The account as uninstall needs it: the adapters (the real account, or a local AWS's endpoint). */
export interface UninstallAccount extends Pick<UninstallPorts, 'sleep' | 'random'> {
  describeAllSessions(): Promise<Session[]>;
  deleteSession(trafficMirrorSessionId: string): Promise<void>;
  listRules(namePrefix: string): Promise<RuleState[]>;
}

export interface UninstallTerminal {
  out(text: string): void;
  err(text: string): void;
  /** Whether the operator agrees; false when nobody can answer. */
  confirm(question: string): Promise<boolean>;
}

/** The adapters, reaching whatever account the AWS_* variables name. */
export function adapterAccount(): UninstallAccount {
  return {
    describeAllSessions: () => describeAllSessions(),
    deleteSession: (id) => deleteSession(id),
    listRules: (prefix) => listRules(prefix),
  };
}

/** A terminal on the process's streams; without an interactive stdin nothing can be confirmed. */
export function processTerminal(): UninstallTerminal {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    async confirm(question) {
      if (!process.stdin.isTTY) return false;
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^(y|yes)$/i.test((await prompt.question(question)).trim());
      } finally {
        prompt.close();
      }
    },
  };
}

export interface UninstallReport {
  stage: string;
  dryRun: boolean;
  /** The stage's rules that could create sessions again, still enabled. */
  enabledRules: string[];
  /** Each session of autotap's for this stage: planned (dry run) or what its delete did. */
  sessions: (DeletionResult | (Omit<DeletionResult, 'outcome'> & { outcome: 'planned' }))[];
  kept: UninstallPlan['kept'];
  counts: Record<string, number>;
}

/**
 * `autotap uninstall`'s core, on an account already configured (the real one, or a local AWS for a
 * scenario). Exit code: 0 done (or nothing to do), 1 some sessions could not be deleted, 2 refused
 * (EXIT.notRun, as for any command that does not do its work).
 */
export async function runUninstall(
  options: UninstallOptions,
  account: UninstallAccount,
  terminal: UninstallTerminal,
): Promise<number> {
  const enabledRules = enabledCreatingRules(await account.listRules(`autotap-${options.stage}-`), options.stage);
  if (enabledRules.length > 0 && !options.dryRun && !options.force) {
    terminal.err(
      `autotap uninstall: the stage's rules that create sessions are enabled (${enabledRules.join(', ')}): ` +
        `sessions deleted now could be created again. Remove the stack first (serverless remove --stage ${options.stage}), ` +
        'or disable those rules, or pass --force.\n',
    );
    return EXIT.notRun;
  }
  const plan = planUninstall(await account.describeAllSessions(), options.stage);
  const report: UninstallReport = {
    stage: options.stage,
    dryRun: options.dryRun,
    enabledRules,
    sessions: [],
    kept: plan.kept,
    counts: {},
  };

  if (options.dryRun || plan.remove.length === 0) {
    report.sessions = plan.remove.map((s) => ({ ...shownSession(s), outcome: 'planned' as const }));
    report.counts = { planned: plan.remove.length };
    render(report, options, terminal);
    return 0;
  }
  if (!options.yes) {
    const agreed = await terminal.confirm(
      `Delete ${plan.remove.length} traffic mirror session(s) autotap created for stage ${options.stage}? [y/N] `,
    );
    if (!agreed) {
      terminal.err(
        'autotap uninstall: nothing deleted (not confirmed; pass --yes when no one can answer the prompt).\n',
      );
      return EXIT.notRun;
    }
  }
  const results = await deleteManagedSessions(plan.remove, {
    deleteSession: (id) => account.deleteSession(id),
    ...(account.sleep ? { sleep: account.sleep } : {}),
    ...(account.random ? { random: account.random } : {}),
  });
  report.sessions = results;
  report.counts = countOutcomes(results);
  render(report, options, terminal);
  return report.counts.failed ? EXIT.failed : EXIT.ok;
}

function render(report: UninstallReport, options: UninstallOptions, terminal: UninstallTerminal): void {
  if (options.json) {
    terminal.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = report.sessions.map(
    (s) =>
      `${s.outcome}  ${s.trafficMirrorSessionId}  ${s.networkInterfaceId}  ${s.instanceId ?? '-'}${'reason' in s && s.reason ? `  ${s.reason}` : ''}`,
  );
  const kept = `left alone: ${report.kept['not-autotap']} session(s) not autotap's, ${report.kept['other-stage']} of another stage`;
  const summary =
    report.sessions.length === 0
      ? `No traffic mirror session of autotap's for stage ${report.stage}.`
      : Object.entries(report.counts)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${k}: ${n}`)
          .join(', ');
  const warning =
    report.enabledRules.length > 0
      ? [`warning: enabled rules may create sessions again: ${report.enabledRules.join(', ')}`]
      : [];
  const again = report.counts.failed
    ? ['Some sessions were not deleted (see their reason); running the command again retries them.']
    : [];
  terminal.out(`${[...lines, '', summary, kept, ...warning, ...again].join('\n')}\n`);
}

/**
 * The options of a run from the parsed command line. The stage must be one of this checkout's: autotap
 * does not tag its sessions with their stage, so a mistyped stage would find no rules to refuse on and
 * delete the sessions of every stage.
 */
export function uninstallRequest(
  values: { stage?: string | undefined; 'dry-run': boolean; yes: boolean; force: boolean; json: boolean },
  root: string,
): UninstallOptions {
  if (values.stage === undefined)
    throw new UsageError('uninstall: --stage S is required: the stage whose sessions to delete, e.g. --stage prod');
  requireStage(root, values.stage);
  return { stage: values.stage, dryRun: values['dry-run'], yes: values.yes, force: values.force, json: values.json };
}

/** `autotap uninstall --stage S`: against the account of the caller's AWS credentials. */
export async function uninstallCommand(args: string[], root: string): Promise<number> {
  const { values } = parseCommandArgs('uninstall', { args, options: uninstallOptions });
  const options = uninstallRequest(values, root);
  applyAwsOptions(values);
  await requireAwsAccess(ec2Client().config);
  return runUninstall(options, adapterAccount(), processTerminal());
}
