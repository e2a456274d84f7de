import type { SkipReason } from './types.ts';

/**
 * What to do about an EC2 error. EC2 models no typed errors, so the SDK's `error.name` (the EC2
 * error code) is all there is to go on. Names of the errors the state machine retries are the
 * `ErrorEquals` entries of `statemachines/mirror-instances.asl.json`.
 */
export type Ec2ErrorClass =
  | { action: 'retry'; error: 'Throttled' | 'NotYetVisible' | 'ServiceUnavailable' }
  | { action: 'skip'; reason: SkipReason }
  | { action: 'next-target' }
  | { action: 'repick-number' }
  | { action: 'dry-run-passed' }
  | { action: 'fail'; reason: string };

const THROTTLED = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);
const NOT_VISIBLE = new Set(['InvalidNetworkInterfaceID.NotFound', 'InvalidInstanceID.NotFound']);
const UNAVAILABLE = new Set(['InternalError', 'InternalFailure', 'Unavailable', 'ServiceUnavailable', 'ServiceUnavailableException']);
const SKIPS: Record<string, SkipReason> = {
  NetworkInterfaceNotSupported: 'unsupported',
  TrafficMirrorSessionsPerInterfaceLimitExceeded: 'session-limit',
  InterfaceInUseByTrafficMirrorTarget: 'is-mirror-target',
  InterfaceInUseByTrafficMirrorSession: 'is-mirror-target',
};
const TARGET_FULL = new Set(['TrafficMirrorSourcesPerTargetLimitExceeded', 'TrafficMirrorSessionsPerTargetLimitExceeded']);
const FAILURES: Record<string, string> = {
  TrafficMirrorSessionLimitExceeded: 'account-session-limit',
  IdempotentParameterMismatch: 'idempotent-parameter-mismatch',
  UnauthorizedOperation: 'unauthorized',
  // As AWS's error-code reference spells them, and as they are also seen in the wild.
  InvalidTrafficMirrorTargetNoFound: 'target-not-found',
  'InvalidTrafficMirrorTargetId.NotFound': 'target-not-found',
  InvalidTrafficMirrorFilterNotFound: 'filter-not-found',
  'InvalidTrafficMirrorFilterId.NotFound': 'filter-not-found',
};

export function classifyEc2Error(error: { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } }): Ec2ErrorClass {
  const name = error.name ?? '';
  if (THROTTLED.has(name)) return { action: 'retry', error: 'Throttled' };
  if (NOT_VISIBLE.has(name)) return { action: 'retry', error: 'NotYetVisible' };
  if (name === 'DryRunOperation') return { action: 'dry-run-passed' };
  const skip = SKIPS[name];
  if (skip) return { action: 'skip', reason: skip };
  if (TARGET_FULL.has(name)) return { action: 'next-target' };
  // EC2 documents no error for a number already used on the ENI, and no wording: the caller checks
  // the ENI's sessions on any invalid value, whatever the message says.
  if (name === 'InvalidParameterValue') return { action: 'repick-number' };
  const failure = FAILURES[name];
  if (failure) return { action: 'fail', reason: failure };
  if (UNAVAILABLE.has(name) || error.$fault === 'server' || (error.$metadata?.httpStatusCode ?? 0) >= 500) {
    return { action: 'retry', error: 'ServiceUnavailable' };
  }
  return { action: 'fail', reason: name || 'unknown-error' };
}

/** A delete of a session that is already gone has done its job. Both spellings appear in AWS's docs. */
export function isSessionGone(error: { name?: string }): boolean {
  return error.name === 'InvalidTrafficMirrorSessionId.NotFound' || error.name === 'InvalidTrafficMirrorSessionNotFound';
}

/** The error a Lambda throws so that the state machine's Retry matches it by name. */
export class RetryableError extends Error {
  constructor(name: 'Throttled' | 'NotYetVisible' | 'ServiceUnavailable', message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * An AWS error as the state machine's Retry sees it: throttling and server faults become the
 * RetryableError its retriers name; anything else is left as it is (not retried).
 */
export function retryableOrAsIs(error: unknown): unknown {
  if (error instanceof RetryableError) return error;
  const verdict = classifyEc2Error(error as Error);
  return verdict.action === 'retry' ? new RetryableError(verdict.error, (error as Error).message) : error;
}
