import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { readFact } from '../../src/aws/account-facts.ts';
import { describeTrails } from '../../src/aws/cloudtrail.ts';
import { describeMirrorFilter } from '../../src/aws/ec2.ts';
import { listSubscriptions } from '../../src/aws/sns.ts';

/** A refused call becomes a fact naming the IAM action to grant; other errors keep their name. */

const refusal = (name: string) => async () => Promise.reject(Object.assign(new Error('refused'), { name }));
const refusing = <T>(name: string): T => ({ send: refusal(name) }) as unknown as T;

/** Paginators insist on a real client: one whose every call is refused. */
function refusingSns(name: string): SNSClient {
  const client = new SNSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
  });
  client.send = refusal(name) as SNSClient['send'];
  return client;
}

test.each<[string, () => Promise<unknown>, string]>([
  [
    'EC2 UnauthorizedOperation',
    () => describeMirrorFilter('tmf-1', refusing<EC2Client>('UnauthorizedOperation')),
    'ec2:DescribeTrafficMirrorFilters',
  ],
  [
    'SNS AuthorizationError',
    () => listSubscriptions('arn:aws:sns:us-east-1:123456789012:ops', refusingSns('AuthorizationError')),
    'sns:ListSubscriptionsByTopic',
  ],
  [
    'CloudTrail AccessDeniedException',
    () => describeTrails(refusing<CloudTrailClient>('AccessDeniedException')),
    'cloudtrail:DescribeTrails',
  ],
])('%s names the missing action', async (_name, read, action) => {
  expect(await readFact(read)).toEqual({ read: false, reason: `not authorized to call ${action}`, action });
});

test('a filter EC2 does not know is absent, not an error', async () => {
  expect(
    await readFact(() => describeMirrorFilter('tmf-1', refusing<EC2Client>('InvalidTrafficMirrorFilterNotFound'))),
  ).toEqual({ read: true, value: undefined });
});

test('any other failure is reported with its name, without an action', async () => {
  expect(await readFact(() => describeMirrorFilter('tmf-1', refusing<EC2Client>('RequestLimitExceeded')))).toEqual({
    read: false,
    reason: 'RequestLimitExceeded: refused',
  });
});
