import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { ConfigError, type Env, optionalEnv } from './env.js';

/** Where the brokers are: a list locally, an MSK cluster (IAM auth over TLS) in AWS. */
export type KafkaSource =
  | { readonly kind: 'brokers'; readonly brokers: readonly string[] }
  | { readonly kind: 'msk'; readonly clusterArn: string; readonly region: string };

export function readKafkaSource(env: Env): KafkaSource {
  const brokers = optionalEnv(env, 'KAFKA_BROKERS');
  if (brokers) {
    return {
      kind: 'brokers',
      brokers: brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    };
  }
  const clusterArn = optionalEnv(env, 'MSK_CLUSTER_ARN');
  if (!clusterArn) {
    throw new ConfigError(
      'MSK_CLUSTER_ARN is not set (nor KAFKA_BROKERS): set MSK_CLUSTER_ARN to the MSK cluster ARN, or ' +
        'KAFKA_BROKERS to a comma-separated host:port list',
    );
  }
  const region = optionalEnv(env, 'AWS_REGION') ?? clusterArn.split(':')[3];
  if (!region) throw new ConfigError(`AWS_REGION is not set and MSK_CLUSTER_ARN "${clusterArn}" names none`);
  return { kind: 'msk', clusterArn, region };
}

/** Creates a kafkajs client; for MSK, the IAM bootstrap brokers are looked up from the cluster ARN. */
export async function createKafka(source: KafkaSource, clientId: string): Promise<Kafka> {
  const base: Omit<KafkaConfig, 'brokers'> = {
    clientId,
    logLevel: logLevel.WARN,
    // kafkajs gives up after about 10 s by default; a broker restart (an MSK rolling update, a local
    // restart) takes longer. Eight retries doubling from 0.3 s wait about a minute in all, and the
    // idempotent producer makes every retry safe.
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30_000 },
  };
  if (source.kind === 'brokers') return new Kafka({ ...base, brokers: [...source.brokers] });

  const kafka = new KafkaClient({ region: source.region });
  const response = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: source.clusterArn }));
  const brokers = response.BootstrapBrokerStringSaslIam?.split(',');
  if (!brokers?.length) {
    throw new ConfigError(`MSK cluster ${source.clusterArn} has no IAM (SASL/IAM) bootstrap brokers`);
  }
  return new Kafka({
    ...base,
    brokers,
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      // Tokens last 15 minutes; kafkajs asks again whenever it (re)authenticates a connection.
      oauthBearerProvider: async () => ({
        value: (await generateAuthToken({ region: source.region })).token,
      }),
    },
  });
}
