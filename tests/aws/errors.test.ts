import { classifyEc2Error, isSessionGone } from '../../src/mirroring/errors.ts';

const named = (name: string, message = '', extra: object = {}) => Object.assign(new Error(message), { name }, extra);

describe('classifyEc2Error', () => {
  it.each([
    ['RequestLimitExceeded', { action: 'retry', error: 'Throttled' }],
    ['InvalidNetworkInterfaceID.NotFound', { action: 'retry', error: 'NotYetVisible' }],
    ['InvalidInstanceID.NotFound', { action: 'retry', error: 'NotYetVisible' }],
    ['InternalError', { action: 'retry', error: 'ServiceUnavailable' }],
    ['NetworkInterfaceNotSupported', { action: 'skip', reason: 'unsupported' }],
    ['TrafficMirrorSessionsPerInterfaceLimitExceeded', { action: 'skip', reason: 'session-limit' }],
    ['InterfaceInUseByTrafficMirrorTarget', { action: 'skip', reason: 'is-mirror-target' }],
    ['TrafficMirrorSourcesPerTargetLimitExceeded', { action: 'next-target' }],
    ['TrafficMirrorSessionLimitExceeded', { action: 'fail', reason: 'account-session-limit' }],
    ['IdempotentParameterMismatch', { action: 'fail', reason: 'idempotent-parameter-mismatch' }],
    ['UnauthorizedOperation', { action: 'fail', reason: 'unauthorized' }],
    ['InvalidTrafficMirrorTargetNoFound', { action: 'fail', reason: 'target-not-found' }],
    ['InvalidTrafficMirrorFilterNotFound', { action: 'fail', reason: 'filter-not-found' }],
    ['DryRunOperation', { action: 'dry-run-passed' }],
    ['SomethingNew', { action: 'fail', reason: 'SomethingNew' }],
  ])('%s', (name, verdict) => {
    expect(classifyEc2Error(named(name))).toEqual(verdict);
  });

  it('treats an unknown server fault as retryable, and any invalid value as a number to check, whatever its words', () => {
    expect(classifyEc2Error(named('Weird', '', { $fault: 'server' }))).toEqual({ action: 'retry', error: 'ServiceUnavailable' });
    expect(classifyEc2Error(named('InvalidParameterValue', 'The session number 1 is already in use on eni-1'))).toEqual({ action: 'repick-number' });
    expect(classifyEc2Error(named('InvalidParameterValue', 'Invalid value.'))).toEqual({ action: 'repick-number' });
  });

  it('matches both spellings of a vanished session', () => {
    expect(isSessionGone(named('InvalidTrafficMirrorSessionId.NotFound'))).toBe(true);
    expect(isSessionGone(named('InvalidTrafficMirrorSessionNotFound'))).toBe(true);
    expect(isSessionGone(named('RequestLimitExceeded'))).toBe(false);
  });
});
