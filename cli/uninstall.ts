import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { deleteSession, describeAllSessions } from '../src/aws/ec2.ts';
import { listRules } from '../src/aws/eventbridge.ts';
import { MANAGED_TAG, type Session } from '../src/mirroring/types.ts';
import {
  countOutcomes,
  deleteManagedSessions,
  enabledCreatingRules,
  planUninstall,
  shownSession,
  STAGE_NAME,
  type DeletionResult,
  type RuleState,
  type UninstallPlan,
  type UninstallPorts,
} from '../src/mirroring/uninstall.ts';

export const UNINSTALL_USAGE = `  uninstall --stage S [--dry-run] [--yes] [--force] [--json] [--region R] [--profile P]
      Delete every traffic mirror session autotap created (tag ${MANAGED_TAG}=true) and leave every
      other session alone. Run it after \`serverless remove --stage S\`: it refuses while the stage's
      rules that create sessions are enabled (--force to go on anyway). --dry-run lists the sessions,
      --yes skips the confirmation. Running it again is safe.
`;

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
  return { describeAllSessions: () => describeAllSessions(), deleteSession: (id) => deleteSession(id), listRules: (prefix) => listRules(prefix) };
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
 * scenario). Exit code: 0 done (or nothing to do), 1 some sessions could not be deleted, 2 refused.
 */
export async function runUninstall(options: UninstallOptions, account: UninstallAccount, terminal: UninstallTerminal): Promise<number> {
  const enabledRules = enabledCreatingRules(await account.listRules(`autotap-${options.stage}-`), options.stage);
  if (enabledRules.length > 0 && !options.dryRun && !options.force) {
    terminal.err(
      `autotap uninstall: the stage's rules that create sessions are enabled (${enabledRules.join(', ')}): ` +
        `sessions deleted now could be created again. Remove the stack first (serverless remove --stage ${options.stage}), ` +
        'or disable those rules, or pass --force.\n',
    );
    return 2;
  }
  const plan = planUninstall(await account.describeAllSessions(), options.stage);
  const report: UninstallReport = { stage: options.stage, dryRun: options.dryRun, enabledRules, sessions: [], kept: plan.kept, counts: {} };

  if (options.dryRun || plan.remove.length === 0) {
    report.sessions = plan.remove.map((s) => ({ ...shownSession(s), outcome: 'planned' as const }));
    report.counts = { planned: plan.remove.length };
    render(report, options, terminal);
    return 0;
  }
  if (!options.yes) {
    const agreed = await terminal.confirm(`Delete ${plan.remove.length} traffic mirror session(s) autotap created for stage ${options.stage}? [y/N] `);
    if (!agreed) {
      terminal.err('autotap uninstall: nothing deleted (not confirmed; pass --yes when no one can answer the prompt).\n');
      return 2;
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
  return report.counts.failed ? 1 : 0;
}

function render(report: UninstallReport, options: UninstallOptions, terminal: UninstallTerminal): void {
  if (options.json) {
    terminal.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = report.sessions.map((s) => `${s.outcome}  ${s.trafficMirrorSessionId}  ${s.networkInterfaceId}  ${s.instanceId ?? '-'}${'reason' in s && s.reason ? `  ${s.reason}` : ''}`);
  const kept = `left alone: ${report.kept['not-autotap']} session(s) not autotap's, ${report.kept['other-stage']} of another stage`;
  const summary =
    report.sessions.length === 0
      ? `No traffic mirror session of autotap's for stage ${report.stage}.`
      : Object.entries(report.counts)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${k}: ${n}`)
          .join(', ');
  const warning = report.enabledRules.length > 0 ? [`warning: enabled rules may create sessions again: ${report.enabledRules.join(', ')}`] : [];
  const again = report.counts.failed ? ['Some sessions were not deleted (see their reason); running the command again retries them.'] : [];
  terminal.out(`${[...lines, '', summary, kept, ...warning, ...again].join('\n')}\n`);
}

/** `autotap uninstall --stage S`: against the account of the caller's AWS credentials. */
export async function uninstallCommand(args: string[], root: string): Promise<number> {
  void root; // The stage's configuration is not needed: autotap's sessions are known by their tag.
  const { values } = parseArgs({
    args,
    options: {
      stage: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      region: { type: 'string' },
      profile: { type: 'string' },
    },
    strict: true,
  });
  if (!values.stage || !STAGE_NAME.test(values.stage)) {
    const got = values.stage ? `"${values.stage}" is not a stage name (letters, digits and hyphens)` : 'is required';
    process.stderr.write(`autotap uninstall: --stage ${got}: the stage whose sessions to delete, e.g. --stage prod\n${UNINSTALL_USAGE}`);
    return 2;
  }
  // Before the first client is made: the SDK reads them when it creates one.
  if (values.region) process.env.AWS_REGION = values.region;
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const options = { stage: values.stage, dryRun: values['dry-run'], yes: values.yes, force: values.force, json: values.json };
  return runUninstall(options, adapterAccount(), processTerminal());
}
