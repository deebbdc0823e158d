import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as sam from 'aws-cdk-lib/aws-sam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import type { DatabaseSettings, LifecycleSettings, LogSettings } from '../../../contracts/settings.js';
import { functionBackedResource } from '../common/function-backed-resource.js';
import { functionLogGroup } from '../common/function-log-group.js';
import { PipelineFunction, PROJECT_ROOT } from '../common/pipeline-function.js';
import type { IPipelineNetwork } from '../network/network.js';
import { acknowledgeDatabaseFindings } from './database-findings.js';

/** The database the pipeline writes, as the local runtime names it. */
export const DATABASE_NAME = 'treasury';
/** Lambda's Node.js runtimes ship the Amazon RDS certificate authorities in this bundle. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';
const MIGRATIONS_DIR = join(PROJECT_ROOT, 'db', 'migrations');
const ROTATION_PERIOD = Duration.days(30);
const POSTGRES_PORT = 5432;
/** What generated and rotated passwords leave out: characters that need quoting in a URL or a shell. */
const EXCLUDED_PASSWORD_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

export interface DatabaseProps {
  readonly network: IPipelineNetwork;
  /** The instance, its storage and backups, and the SQL clients let in on 5432. */
  readonly settings: DatabaseSettings;
  /** How long the rotation and schema-setup logs are kept. */
  readonly logs: LogSettings;
  /** destroyOnRemoval: delete without a final snapshot and without deletion protection. */
  readonly lifecycle: LifecycleSettings;
}

/** A digest of the migrations, so that the schema custom resource runs again when one changes. */
export function migrationsDigest(dir = MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** What the functions that write the database use of it. */
export interface IPipelineDatabase extends ec2.IConnectable {
  /** Login for the aggregator: EXECUTE on apply_batch and nothing else. */
  readonly aggregatorSecret: secretsmanager.ISecret;
  /** The schema custom resource: what uses the database depends on it. */
  readonly schema: IDependable;
}

/**
 * RDS PostgreSQL in the data subnets, encrypted, never public, TLS only. The administrator, the
 * aggregator and the SQL readers each have a generated secret that Secrets Manager rotates; the
 * schema and the two roles come from db/migrations, applied by a custom resource running
 * db/migrate.ts, which then gives the roles the logins their secrets hold.
 */
export class Database extends Construct implements IPipelineDatabase {
  public readonly instance: rds.DatabaseInstance;
  public readonly adminSecret: secretsmanager.ISecret;
  /** Login for the aggregator: EXECUTE on apply_batch and nothing else. */
  public readonly aggregatorSecret: secretsmanager.ISecret;
  /** Login for SQL clients: SELECT on the tables and views. */
  public readonly readerSecret: secretsmanager.ISecret;
  /** The schema custom resource: what uses the database depends on it. */
  public readonly schema: CustomResource;
  public readonly connections: ec2.Connections;
  /** The ARNs of the three rotation functions (in the SAR nested stacks), for their alarms. */
  public readonly rotationFunctionArns: string[] = [];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { network, settings } = props;
    const destroy = props.lifecycle.destroyOnRemoval;
    const secretRemoval = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'PostgreSQL: 5432 from the pipeline functions and the secret rotation only',
      allowAllOutbound: false,
    });
    for (const cidr of settings.sqlClientCidrs) {
      securityGroup.addIngressRule(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(5432),
        `SQL clients (context sqlClientCidrs)`,
      );
    }

    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 });
    const instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: new ec2.InstanceType(settings.databaseInstanceType),
      vpc: network.vpc,
      vpcSubnets: network.dataSubnets,
      securityGroups: [securityGroup],
      publiclyAccessible: false,
      port: POSTGRES_PORT,
      multiAz: settings.databaseMultiAz,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('treasury_admin', {
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      }),
      allocatedStorage: settings.databaseStorageGiB,
      maxAllocatedStorage: settings.databaseStorageGiB * 5,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      // Clients must use TLS, whatever the engine version's default.
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        description: 'treasury-stream: TLS required',
        parameters: { 'rds.force_ssl': '1' },
      }),
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      backupRetention: Duration.days(settings.databaseBackupDays),
      autoMinorVersionUpgrade: true,
      deletionProtection: !destroy,
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
    });
    this.instance = instance;
    // The instance's own connections name its port by a CloudFormation attribute; these say 5432.
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(POSTGRES_PORT),
    });
    if (!instance.secret) throw new Error('the database instance has no generated secret');
    this.adminSecret = instance.secret;
    // instance.secret is the attachment; the secret itself is the instance's child.
    const adminSecretResource = instance.node.findChild('Secret') as secretsmanager.Secret;
    adminSecretResource.applyRemovalPolicy(secretRemoval);
    const secretResources: secretsmanager.Secret[] = [adminSecretResource];

    // Each rotation runs in the application subnets behind its own group: 5432 to the database,
    // 443 to the Secrets Manager endpoint, nothing else.
    const rotations: secretsmanager.SecretRotation[] = [];
    const rotationGroup = (name: string): ec2.SecurityGroup => {
      const group = new ec2.SecurityGroup(this, `${name}RotationSecurityGroup`, {
        vpc: network.vpc,
        description: `Rotation of the ${name.toLowerCase()} database secret`,
        allowAllOutbound: false,
      });
      network.allowEndpointsFrom(group);
      return group;
    };
    const rotate = (name: string, secret: secretsmanager.ISecret) =>
      rotations.push(
        new secretsmanager.SecretRotation(this, `${name}Rotation`, {
          application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
          secret,
          target: this,
          vpc: network.vpc,
          vpcSubnets: network.applicationSubnets,
          securityGroup: rotationGroup(name),
          automaticallyAfter: ROTATION_PERIOD,
          excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
        }),
      );
    rotate('Admin', this.adminSecret);

    const roleSecret = (name: string, username: string): secretsmanager.ISecret => {
      const secret = new rds.DatabaseSecret(this, `${name}Secret`, {
        username,
        dbname: DATABASE_NAME,
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      });
      secret.applyRemovalPolicy(secretRemoval);
      secretResources.push(secret);
      const attached = secret.attach(instance);
      rotate(name, attached);
      return attached;
    };
    // The roles db/migrations/*_roles.sql creates; the schema custom resource gives them their logins.
    this.aggregatorSecret = roleSecret('Aggregator', 'treasury_aggregator');
    this.readerSecret = roleSecret('Reader', 'treasury_reader');

    this.schema = this.applySchema(network, props, securityGroup);
    // A rotation logs in as its role, so the role must exist first; the first rotation runs as soon
    // as its schedule is created.
    for (const rotation of rotations) {
      rotation.node.addDependency(this.schema);
      const application = rotation.node.findChild('Resource') as sam.CfnApplication;
      this.rotationFunctionArns.push(application.getAtt('Outputs.RotationLambdaARN').toString());
      const parameters = application.parameters as Record<string, string>;
      functionLogGroup(rotation, 'Logs', String(parameters.functionName), props.logs.logRetentionDays, [
        application,
      ]);
    }

    acknowledgeDatabaseFindings(instance, {
      multiAz: settings.databaseMultiAz,
      destroyOnRemoval: destroy,
      secrets: secretResources,
    });
  }

  private applySchema(
    network: IPipelineNetwork,
    props: DatabaseProps,
    securityGroup: ec2.SecurityGroup,
  ): CustomResource {
    const migrator = new PipelineFunction(this, 'Migrator', {
      entry: 'lambda/migrator/handler.ts',
      description: 'Applies db/migrations and the database roles (CloudFormation custom resource)',
      vpc: network.vpc,
      vpcSubnets: network.applicationSubnets,
      memorySize: 512,
      timeout: Duration.minutes(5),
      logRetentionDays: props.logs.logRetentionDays,
      environment: {
        ADMIN_SECRET_ARN: this.adminSecret.secretArn,
        AGGREGATOR_SECRET_ARN: this.aggregatorSecret.secretArn,
        READER_SECRET_ARN: this.readerSecret.secretArn,
        NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
      },
      // The same .sql files as the local runtime, shipped beside the bundle.
      afterBundling: (inputDir, outputDir) => [
        `cp -R "${join(inputDir, 'db', 'migrations')}" "${outputDir}/migrations"`,
      ],
    });
    this.connections.allowDefaultPortFrom(migrator, 'Schema migrations');
    network.allowEndpointsFrom(migrator);
    for (const secret of [this.adminSecret, this.aggregatorSecret, this.readerSecret]) {
      secret.grantRead(migrator.function);
    }

    const dbInstance = this.instance.node.defaultChild;
    if (!dbInstance) throw new Error('the database instance construct has no resource');
    return functionBackedResource(this, 'Schema', {
      handler: migrator,
      resourceType: 'Custom::DatabaseSchema',
      properties: {
        MigrationsDigest: migrationsDigest(),
        AggregatorSecretArn: this.aggregatorSecret.secretArn,
        ReaderSecretArn: this.readerSecret.secretArn,
      },
      logs: props.logs,
      // The database, the rule letting the migrator in and the endpoints.
      dependsOn: [dbInstance, securityGroup, network],
    });
  }
}
