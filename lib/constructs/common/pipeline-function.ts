import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING, HANDLER_EXPORT } from '../../../contracts/bundling.js';
import {
  DEFAULT_MEMORY_MIB,
  DEFAULT_TIMEOUT_SECONDS,
  FUNCTION_NODE_OPTIONS,
  type FunctionDefinition,
} from '../../../contracts/functions.js';
import { acknowledgeFunctionFindings, acknowledgeLogGroupFindings } from './checker-findings.js';

/** The repository root: entry points, the lock file and db/migrations are found from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface PipelineFunctionProps {
  /** Entry point, relative to the repository root, e.g. `lambda/aggregator/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default DEFAULT_MEMORY_MIB */
  readonly memorySize?: number;
  /** @default DEFAULT_TIMEOUT_SECONDS */
  readonly timeout?: Duration;
  /** Days the function's log group keeps its logs (the logRetentionDays setting). */
  readonly logRetentionDays: number;
  /** Concurrency reserved for the function out of the account's pool. @default none */
  readonly reservedConcurrency?: number;
  /** Shell commands run after esbuild, e.g. to copy files into the bundle. @default none */
  readonly afterBundling?: (inputDir: string, outputDir: string) => string[];
}

/** The props of a function that contracts/functions.ts defines, with the environment only AWS has. */
export function definedFunctionProps(
  definition: FunctionDefinition,
  awsEnvironment: Readonly<Record<string, string>>,
): Pick<PipelineFunctionProps, 'entry' | 'description' | 'memorySize' | 'timeout' | 'environment'> {
  return {
    entry: definition.entry,
    description: definition.description,
    memorySize: definition.memoryMiB,
    timeout: Duration.seconds(definition.timeoutSeconds),
    environment: { ...definition.environment, ...awsEnvironment },
  };
}

/**
 * A function of this pipeline: TypeScript bundled locally by esbuild (no Docker), the newest
 * Node.js runtime, ARM64, in the VPC behind its own security group that opens nothing outbound
 * until a `connections` rule does, JSON logs in a log group with a retention.
 */
export class PipelineFunction extends Construct implements ec2.IConnectable {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly securityGroup: ec2.SecurityGroup;

  get connections(): ec2.Connections {
    return this.function.connections;
  }

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: props.description,
      allowAllOutbound: false,
    });

    const afterBundling = props.afterBundling;
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: HANDLER_EXPORT,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MIB,
      timeout: props.timeout ?? Duration.seconds(DEFAULT_TIMEOUT_SECONDS),
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [this.securityGroup],
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      environment: {
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        ...props.environment,
      },
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        ...FUNCTION_BUNDLING,
        format: nodejs.OutputFormat.ESM,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        externalModules: [...FUNCTION_BUNDLING.externalModules],
        ...(afterBundling
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling,
              },
            }
          : {}),
      },
    });

    acknowledgeLogGroupFindings(this.logGroup);
    acknowledgeFunctionFindings(this.function, {
      environment: true,
      reservedConcurrency: props.reservedConcurrency !== undefined,
    });

    // cdk-nag finding ids name the managed policy; each is acknowledged on this function alone.
    for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
      Validations.of(this.function).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason:
          `${policy} is the AWS-maintained minimum for a function in a VPC: write its own logs ` +
          '(log streams of its group) and manage its network interfaces.',
      });
    }
  }
}
