import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Emulator, EmulatorSeed } from '../../local/emulator/index.ts';

/** Real SDK clients pointed at an emulator, and a small account most tests start from. */

export const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' };

export function ec2Client(emulator: Emulator, config: Partial<EC2ClientConfig> = {}): EC2Client {
  return new EC2Client({ endpoint: emulator.endpoint, region: emulator.region, credentials, ...config });
}

export function snsClient(emulator: Emulator, maxAttempts?: number): SNSClient {
  return new SNSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials,
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}

/** The error a promise rejects with, so assertions can look at its name and metadata. */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const baseSeed = (): EmulatorSeed => ({
  targets: [
    { id: 'tmt-eni', type: 'network-interface', networkInterfaceId: 'eni-appliance', availabilityZone: 'us-east-1a' },
    { id: 'tmt-nlb', type: 'network-load-balancer' },
    { id: 'tmt-gwlbe', type: 'gateway-load-balancer-endpoint', tags: { Name: 'inspection' } },
  ],
  filters: [{ id: 'tmf-1' }, { id: 'tmf-2' }],
  instances: [
    {
      id: 'i-web1',
      instanceType: 'm5.large',
      vpcId: 'vpc-1',
      subnetId: 'subnet-1',
      tags: { Name: 'web', env: 'prod' },
      networkInterfaces: [{ id: 'eni-web1' }, { id: 'eni-web1b', deviceIndex: 1, deleteOnTermination: false }],
    },
    { id: 'i-web2', tags: { Name: 'web', env: 'dev' }, networkInterfaces: [{ id: 'eni-web2' }] },
    { id: 'i-old', instanceType: 't2.micro', networkInterfaces: [{ id: 'eni-old' }] },
    { id: 'i-hpc', instanceType: 'c5n.18xlarge', networkInterfaces: [{ id: 'eni-efa', interfaceType: 'efa' }] },
    { id: 'i-appliance', instanceType: 'c5.large', networkInterfaces: [{ id: 'eni-appliance' }] },
  ],
  topics: ['alerts'],
});
