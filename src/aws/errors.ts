import { AwsRefusal, RetryableError } from '../mirroring/errors.ts';
import { describeThrown } from '../thrown.ts';

/**
 * The one place where an SDK error becomes a domain error (src/mirroring/errors.ts). Each adapter
 * passes its calls through `awsCall` with the codes its service gives a meaning; everything else is
 * classified here the same way for every service.
 */

/** What an AWS SDK v3 error carries, narrowed from `unknown` without trusting its shape. */
export interface SdkErrorFields {
  /** AWS's error code (the SDK names the error after it), or the JavaScript error's name. */
  code: string;
  message: string;
  /** `server`: AWS's fault, worth trying again. */
  fault: 'client' | 'server' | undefined;
  httpStatusCode: number | undefined;
  /** The SDK's own verdict that the error is throttling. */
  throttling: boolean;
}

export function sdkErrorFields(error: unknown): SdkErrorFields {
  if (!(error instanceof Error))
    return {
      code: 'UnknownError',
      message: describeThrown(error).message,
      fault: undefined,
      httpStatusCode: undefined,
      throttling: false,
    };
  const fault = '$fault' in error ? error.$fault : undefined;
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  return {
    code: error.name || 'Error',
    message: error.message,
    fault: fault === 'server' || fault === 'client' ? fault : undefined,
    httpStatusCode: typeof status === 'number' ? status : undefined,
    throttling: field(field(error, '$retryable'), 'throttling') === true,
  };
}

/** A property of a value of unknown shape, if it is an object that has it. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value ? (Reflect.get(value, key) as unknown) : undefined;
}

/** Throttling codes of the services autotap calls (EC2, SNS, SQS, EventBridge, DynamoDB, Secrets Manager). */
const THROTTLED = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const UNAVAILABLE = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'Unavailable',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Whether an SDK error is throttling, by AWS's code or the SDK's own verdict. */
export function isThrottling(error: unknown): boolean {
  const fields = sdkErrorFields(error);
  return THROTTLED.has(fields.code) || fields.throttling;
}

/** A service's own codes: the domain error a code means, or undefined for the common rules. */
export type KnownCodes = (code: string, message: string) => Error | undefined;

/**
 * The domain error for an error an AWS call threw: domain errors pass through; throttling is
 * RetryableError `Throttled`; the service's known codes come next; a server fault is RetryableError
 * `ServiceUnavailable`; anything else is an AwsRefusal carrying AWS's code.
 */
export function domainErrorOf(error: unknown, operation: string, known: KnownCodes = () => undefined): Error {
  if (error instanceof RetryableError || error instanceof AwsRefusal) return error;
  const fields = sdkErrorFields(error);
  const message = `${operation}: ${fields.code}: ${fields.message}`;
  if (isThrottling(error)) return new RetryableError('Throttled', message, fields.code);
  const meant = known(fields.code, message);
  if (meant) return meant;
  if (UNAVAILABLE.has(fields.code) || fields.fault === 'server' || (fields.httpStatusCode ?? 0) >= 500) {
    return new RetryableError('ServiceUnavailable', message, fields.code);
  }
  return new AwsRefusal(fields.code, message);
}

/** Runs one adapter operation; whatever it throws leaves as a domain error. */
export async function awsCall<T>(operation: string, call: () => Promise<T>, known?: KnownCodes): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw domainErrorOf(error, operation, known);
  }
}
