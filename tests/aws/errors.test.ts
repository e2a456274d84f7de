import { readdirSync, readFileSync } from 'node:fs';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { ThrottledException } from '@aws-sdk/client-sns';
import { domainErrorOf, sdkErrorFields } from '../../src/aws/errors.ts';
import { ec2DomainError } from '../../src/aws/ec2.ts';
import {
  AwsRefusal,
  DryRunPassed,
  MirrorResourceNotFound,
  RetryableError,
  SessionNotFound,
  SessionNumberRejected,
  SourceNotMirrorable,
  TargetFull,
} from '../../src/mirroring/errors.ts';

/** An error as the SDK deserializes an EC2 error response: EC2 models no typed errors, only the code. */
const ec2Error = (name: string, fault: 'client' | 'server' = 'client', httpStatusCode = 400) =>
  new EC2ServiceException({ name, $fault: fault, $metadata: { httpStatusCode }, message: `message of ${name}` });

describe('EC2 errors at the adapter boundary', () => {
  it.each([
    ['RequestLimitExceeded', 'Throttled'],
    ['InvalidNetworkInterfaceID.NotFound', 'NotYetVisible'],
    ['InvalidInstanceID.NotFound', 'NotYetVisible'],
    ['InternalError', 'ServiceUnavailable'],
    ['Unavailable', 'ServiceUnavailable'],
  ])('%s is retried by the state machines as %s', (code, name) => {
    const error = ec2DomainError(ec2Error(code), 'CreateTrafficMirrorSession');
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ name, code, message: `CreateTrafficMirrorSession: ${code}: message of ${code}` });
  });

  it.each([
    ['NetworkInterfaceNotSupported', SourceNotMirrorable, 'unsupported'],
    ['TrafficMirrorSessionsPerInterfaceLimitExceeded', SourceNotMirrorable, 'session-limit'],
    ['InterfaceInUseByTrafficMirrorTarget', SourceNotMirrorable, 'is-mirror-target'],
    ['InterfaceInUseByTrafficMirrorSession', SourceNotMirrorable, 'is-mirror-target'],
    ['TrafficMirrorSourcesPerTargetLimitExceeded', TargetFull, 'target-full'],
    ['TrafficMirrorSessionsPerTargetLimitExceeded', TargetFull, 'target-full'],
    ['InvalidParameterValue', SessionNumberRejected, 'session-number-rejected'],
    ['InvalidTrafficMirrorSessionId.NotFound', SessionNotFound, 'session-not-found'],
    ['InvalidTrafficMirrorSessionNotFound', SessionNotFound, 'session-not-found'],
    ['InvalidTrafficMirrorTargetNoFound', MirrorResourceNotFound, 'target-not-found'],
    ['InvalidTrafficMirrorTargetId.NotFound', MirrorResourceNotFound, 'target-not-found'],
    ['InvalidTrafficMirrorFilterNotFound', MirrorResourceNotFound, 'filter-not-found'],
    ['InvalidTrafficMirrorFilterId.NotFound', MirrorResourceNotFound, 'filter-not-found'],
    ['DryRunOperation', DryRunPassed, 'dry-run'],
    ['TrafficMirrorSessionLimitExceeded', AwsRefusal, 'account-session-limit'],
    ['IdempotentParameterMismatch', AwsRefusal, 'idempotent-parameter-mismatch'],
    ['UnauthorizedOperation', AwsRefusal, 'unauthorized'],
  ])('%s is a %p with reason %s, named after the code', (code, type, reason) => {
    const error = ec2DomainError(ec2Error(code), 'CreateTrafficMirrorSession');
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ name: code, code, reason });
    expect(error).not.toBeInstanceOf(RetryableError);
  });

  it('keeps an unknown client error as a refusal carrying its code, and retries an unknown server fault', () => {
    expect(ec2DomainError(ec2Error('SomethingNew'), 'DescribeInstances')).toMatchObject({
      constructor: AwsRefusal,
      name: 'SomethingNew',
      reason: 'SomethingNew',
    });
    expect(ec2DomainError(ec2Error('SomethingNew', 'server', 503), 'DescribeInstances')).toMatchObject({
      name: 'ServiceUnavailable',
      code: 'SomethingNew',
    });
    expect(ec2DomainError(ec2Error('SomethingNew', 'client', 500), 'DescribeInstances')).toBeInstanceOf(RetryableError);
  });

  it('passes domain errors through unchanged', () => {
    const retry = new RetryableError('Throttled', 'already mapped');
    const refusal = new TargetFull('TrafficMirrorSourcesPerTargetLimitExceeded', 'already mapped');
    expect(ec2DomainError(retry, 'x')).toBe(retry);
    expect(ec2DomainError(refusal, 'x')).toBe(refusal);
  });
});

describe('errors of every service', () => {
  it('takes the SDK throttling verdict and the service throttling codes as Throttled', () => {
    const sns = new ThrottledException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' });
    expect(domainErrorOf(sns, 'SNS Publish')).toMatchObject({ name: 'Throttled', code: 'ThrottledException' });
    const flagged = Object.assign(new Error('slow down'), { name: 'SlowDown', $retryable: { throttling: true } });
    expect(domainErrorOf(flagged, 'PutEvents')).toMatchObject({ name: 'Throttled', code: 'SlowDown' });
  });

  it('turns a value that is not an Error into a refusal that says what was thrown', () => {
    expect(domainErrorOf('boom', 'PutEvents')).toMatchObject({
      name: 'UnknownError',
      message: 'PutEvents: UnknownError: boom',
    });
  });

  it('reads the fields of an SDK error without trusting their types', () => {
    const odd = Object.assign(new Error('m'), { name: 'X', $fault: 'weird', $metadata: { httpStatusCode: '500' } });
    expect(sdkErrorFields(odd)).toEqual({
      code: 'X',
      message: 'm',
      fault: undefined,
      httpStatusCode: undefined,
      throttling: false,
    });
  });
});

/** Every ErrorEquals name of the state machine definitions. */
function retriedAndCaughtNames(): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'ErrorEquals' && Array.isArray(value)) value.forEach((name) => names.add(String(name)));
        else visit(value);
      }
    }
  };
  const dir = new URL('../../statemachines/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.asl.json')))
    visit(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
  return names;
}

it('throws every error name the state machines match, for the AWS answers they are meant for', () => {
  const thrown = new Set(
    ['RequestLimitExceeded', 'InvalidInstanceID.NotFound', 'InternalError'].map(
      (code) => ec2DomainError(ec2Error(code), 'x').name,
    ),
  );
  const ours = [...retriedAndCaughtNames()].filter((name) => !/^(Lambda|States)\./.test(name));
  expect(ours.length).toBeGreaterThan(0);
  for (const name of ours) expect(thrown).toContain(name);
});
