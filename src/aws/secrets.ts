import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkErrorFields } from './errors.ts';
import { permitted } from './permissions.ts';
import { countThrottles } from './throttles.ts';

/** Secrets are cached per container for this long: rotations are picked up within it. */
const CACHE_SECONDS = 300;

let shared: { endpoint: string | undefined; provider: SecretsProvider } | undefined;

function provider(): SecretsProvider {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint) {
    shared = {
      endpoint,
      provider: new SecretsProvider({ awsSdkV3Client: countThrottles(new SecretsManagerClient({}), 'secretsmanager') }),
    };
  }
  return shared.provider;
}

export class SecretUnavailable extends Error {
  override name = 'SecretUnavailable';
}

/**
 * The string value of a Secrets Manager secret, by ARN. The error names the secret, never its value.
 */
export async function getSecretString(secretArn: string): Promise<string> {
  let value: unknown;
  try {
    value = await provider().get(secretArn, { maxAge: CACHE_SECONDS });
  } catch (error) {
    throw new SecretUnavailable(`${secretArn}: could not be read (${sdkErrorFields(error).code})`);
  }
  if (typeof value !== 'string' || value.length === 0)
    throw new SecretUnavailable(`${secretArn}: expected a non-empty string secret`);
  return value;
}

/**
 * Whether a secret exists, by ARN, without reading its value (DescribeSecret returns metadata only).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 */
export async function secretExists(secretArn: string, client = new SecretsManagerClient({})): Promise<boolean> {
  try {
    await permitted('secretsmanager:DescribeSecret', () =>
      client.send(new DescribeSecretCommand({ SecretId: secretArn })),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}
