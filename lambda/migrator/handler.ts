import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../adapters/database.js';
import { requireEnv } from '../adapters/env.js';
import { readLogin } from './login-secret.js';
import { enableLogins } from './roles.js';

// Configuration is read once per container; a missing setting fails with its name.
const adminSecretArn = requireEnv(
  process.env,
  'ADMIN_SECRET_ARN',
  "the ARN of the database administrator's secret",
);
const aggregatorSecretArn = requireEnv(
  process.env,
  'AGGREGATOR_SECRET_ARN',
  "the ARN of the aggregator role's secret",
);
const readerSecretArn = requireEnv(
  process.env,
  'READER_SECRET_ARN',
  "the ARN of the read-only role's secret",
);
// The stack copies db/migrations beside the bundle.
const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));
const logger = new Logger({ serviceName: 'migrator' });
const secrets = new SecretsManagerClient({});

/**
 * CloudFormation custom resource (through the CDK Provider): applies the pending migrations, the
 * same ones the local runtime applies (they create the aggregator and reader roles and their
 * privileges), then lets those roles log in with the passwords their secrets hold now. On delete
 * the schema stays with the database, whose own removal policy decides its fate.
 */
export async function handler(event: CdkCustomResourceEvent): Promise<CdkCustomResourceResponse> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const [aggregator, reader] = await Promise.all([
    readLogin(secrets, aggregatorSecretArn),
    readLogin(secrets, readerSecretArn),
  ]);
  const pool = await createPool({ kind: 'secret', secretArn: adminSecretArn, poolSize: 1 }, secrets);
  try {
    const client = await pool.connect();
    try {
      const applied = await migrate(client, { dir: migrationsDir, log: (line) => logger.info(line) });
      await enableLogins(client, [aggregator, reader]);
      logger.info('schema and roles applied', { applied, roles: [aggregator.username, reader.username] });
      return { PhysicalResourceId: 'treasury-stream-schema', Data: { Applied: applied.join(',') } };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
