import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';
import { RegionalService } from './regional-service.ts';

/** Secrets Manager's GetSecretValue over its JSON 1.1 protocol (`X-Amz-Target: secretsmanager.GetSecretValue`). */

export interface SecretRecord {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  createdAt: number;
}

export class Secrets extends RegionalService {
  readonly byArn = new Map<string, SecretRecord>();

  /** Seeds or replaces a secret; a bare name gets an ARN with the random suffix Secrets Manager adds. */
  put(nameOrArn: string, value: string): SecretRecord {
    const existing = this.find(nameOrArn);
    if (existing) {
      existing.value = value;
      existing.versionId = randomUUID();
      return existing;
    }
    const arn = nameOrArn.startsWith('arn:')
      ? nameOrArn
      : `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${nameOrArn}-${randomUUID().replace(/-/g, '').slice(0, 6)}`;
    const name = nameOrArn.startsWith('arn:')
      ? (arn.split(':secret:')[1] ?? arn).replace(/-[A-Za-z0-9]{6}$/, '')
      : nameOrArn;
    const secret: SecretRecord = { arn, name, value, versionId: randomUUID(), createdAt: this.now() };
    this.byArn.set(arn, secret);
    return secret;
  }

  /** By full ARN, by name, or by an ARN without the random suffix, as Secrets Manager resolves SecretId. */
  find(secretId: string): SecretRecord | undefined {
    const exact = this.byArn.get(secretId);
    if (exact) return exact;
    for (const secret of this.byArn.values()) {
      if (secret.name === secretId) return secret;
      if (
        secretId.startsWith('arn:') &&
        secret.arn.startsWith(secretId) &&
        /^-[A-Za-z0-9]{6}$/.test(secret.arn.slice(secretId.length))
      )
        return secret;
    }
    return undefined;
  }
}

export type SecretsHandler = (input: Record<string, unknown>, secrets: Secrets) => Record<string, unknown>;

/** The secret `SecretId` names, or the errors both GetSecretValue and DescribeSecret answer. */
function secretNamed(input: Record<string, unknown>, secrets: Secrets): SecretRecord {
  const id = input.SecretId;
  if (typeof id !== 'string' || id === '')
    throw new ApiError('InvalidParameterException', 'You must provide a value for SecretId.');
  const secret = secrets.find(id);
  if (!secret) throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return secret;
}

function getSecretValue(input: Record<string, unknown>, secrets: Secrets) {
  const secret = secretNamed(input, secrets);
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: secret.versionId,
    SecretString: secret.value,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: secret.createdAt / 1000,
  };
}

/**
 * DescribeSecret: the secret's metadata, never its value
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
 */
function describeSecret(input: Record<string, unknown>, secrets: Secrets) {
  const secret = secretNamed(input, secrets);
  return {
    ARN: secret.arn,
    Name: secret.name,
    CreatedDate: secret.createdAt / 1000,
    VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
  };
}

export const SECRETS_ACTIONS: Record<string, SecretsHandler> = {
  GetSecretValue: getSecretValue,
  DescribeSecret: describeSecret,
};
