import type { SkipReason } from './types.ts';

/**
 * The errors autotap's domain sees from AWS. The adapters in src/aws turn every SDK error into one of
 * these at the boundary, so the domain and the handlers decide on meanings, never on AWS's codes.
 *
 * Names matter: a Lambda's thrown `error.name` is what a state machine's Retry and Catch match.
 */

/** The names the state machines' Retry lists (statemachines/*.asl.json `ErrorEquals`). */
export type RetryableName = 'Throttled' | 'NotYetVisible' | 'ServiceUnavailable';

/** Worth trying again after a pause: throttled, a resource not visible yet, a service fault. */
export class RetryableError extends Error {
  /** The AWS code behind it, when AWS answered with one. */
  readonly code: string | undefined;

  constructor(name: RetryableName, message: string, code?: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/**
 * AWS refused the call for good; asking again with the same request cannot help. `name` stays AWS's
 * code (an execution that fails on it shows what AWS said); `reason` is autotap's word for it, the
 * code itself when autotap gives it no meaning of its own.
 */
export class AwsRefusal extends Error {
  readonly code: string;
  readonly reason: string;

  constructor(code: string, message: string, reason: string = code) {
    super(message);
    this.name = code;
    this.code = code;
    this.reason = reason;
  }
}

/** The ENI cannot be a source: type not supported, its three sessions taken, or it is a target itself. */
export class SourceNotMirrorable extends AwsRefusal {
  declare readonly reason: SkipReason;

  constructor(code: string, message: string, reason: SkipReason) {
    super(code, message, reason);
  }
}

/** The target takes no more sources or sessions: the next candidate target may. */
export class TargetFull extends AwsRefusal {
  constructor(code: string, message: string) {
    super(code, message, 'target-full');
  }
}

/**
 * EC2 refused a parameter value. It documents no error for a session number already used on the ENI,
 * and no wording, so any invalid value may be a number taken meanwhile: the caller checks.
 */
export class SessionNumberRejected extends AwsRefusal {
  constructor(code: string, message: string) {
    super(code, message, 'session-number-rejected');
  }
}

/** The session is not there (deleted meanwhile): a delete of it has done its job. */
export class SessionNotFound extends AwsRefusal {
  constructor(code: string, message: string) {
    super(code, message, 'session-not-found');
  }
}

/** A dry run that AWS says would have succeeded. */
export class DryRunPassed extends AwsRefusal {
  constructor(code: string, message: string) {
    super(code, message, 'dry-run');
  }
}

/** The configured filter or target does not exist: a configuration error, never retried. */
export class MirrorResourceNotFound extends AwsRefusal {
  constructor(code: string, message: string, reason: 'filter-not-found' | 'target-not-found') {
    super(code, message, reason);
  }
}

/**
 * The central workflows could not assume the member role of the account an event came from: the
 * member template is not deployed there (or its role was deleted), or its trust does not name this
 * stack. Waiting cannot fix it, so the state machines do not retry it; the failed execution reaches
 * ops with the fix in its message.
 */
export class MemberRoleUnavailable extends AwsRefusal {
  constructor(roleArn: string, account: string, region: string, cause: string) {
    super(
      'MemberRoleUnavailable',
      `could not assume ${roleArn} to act in account ${account} (${region}): ${cause}. Deploy the member template ` +
        `(autotap member-template) to that account through the StackSet, or take the account out of the organization's scope`,
      'member-role-unavailable',
    );
  }
}
