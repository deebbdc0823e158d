import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Login } from './roles.js';

export class LoginSecretError extends Error {
  override readonly name = 'LoginSecretError';
}

/** Parses a database secret (the JSON RDS and `DatabaseSecret` generate) into its login. */
export function parseLogin(secretString: string | undefined, secretArn: string): Login {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch {
    throw new LoginSecretError(`secret ${secretArn} is not JSON`);
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '') {
    throw new LoginSecretError(`secret ${secretArn} has no "username"`);
  }
  if (typeof password !== 'string' || password === '') {
    throw new LoginSecretError(`secret ${secretArn} has no "password"`);
  }
  return { username, password };
}

/** Reads the current version of a login secret. */
export async function readLogin(secrets: SecretsManagerClient, secretArn: string): Promise<Login> {
  const response = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return parseLogin(response.SecretString, secretArn);
}
