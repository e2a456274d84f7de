/**
 * AWS answers a missing permission with a different error name per service (EC2
 * UnauthorizedOperation, SNS AuthorizationError, most JSON services AccessDeniedException). Callers
 * that can carry on without the answer (autotap doctor) need the IAM action that was refused.
 */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
]);

export class PermissionMissing extends Error {
  override name = 'PermissionMissing';
  /** The IAM action that was refused, e.g. `ec2:DescribeTrafficMirrorFilters`. */
  readonly action: string;

  constructor(action: string) {
    super(`not authorized to call ${action}`);
    this.action = action;
  }
}

/** Runs one AWS call; a refusal for want of permission becomes PermissionMissing naming `action`. */
export async function permitted<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (DENIED.has((error as Error).name)) throw new PermissionMissing(action);
    throw error;
  }
}
