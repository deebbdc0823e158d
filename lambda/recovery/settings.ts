import { AGGREGATOR_CONSUMER_GROUP_ID } from '../../contracts/event-source-mapping.js';
import { ConfigError, type Env, optionalEnv, requireEnv } from '../adapters/env.js';

/** Which mapping's partitions the recovery brings up to date. */
export interface RecoveryTarget {
  /** The checkpoints' key: the mapping's eventSourceArn (the cluster ARN in AWS). */
  readonly eventSource: string;
  readonly topic: string;
  /** The mapping's consumer group. */
  readonly groupId: string;
}

/**
 * The target from the environment: EVENT_SOURCE_ARN (else MSK_CLUSTER_ARN), TOPIC, CONSUMER_GROUP_ID
 * (else the stack's default group).
 */
export function readRecoveryTarget(env: Env): RecoveryTarget {
  const eventSource = optionalEnv(env, 'EVENT_SOURCE_ARN') ?? optionalEnv(env, 'MSK_CLUSTER_ARN');
  if (!eventSource) {
    throw new ConfigError(
      'EVENT_SOURCE_ARN is not set (nor MSK_CLUSTER_ARN): set it to the event source the checkpoints are ' +
        "kept for, the mapping's cluster ARN",
    );
  }
  return {
    eventSource,
    topic: requireEnv(env, 'TOPIC', 'set it to the topic the mapping reads'),
    groupId: optionalEnv(env, 'CONSUMER_GROUP_ID') ?? AGGREGATOR_CONSUMER_GROUP_ID,
  };
}

/**
 * What an operator asks the recovery function for: {} recovers; acceptLoss also accepts a loss;
 * fillGaps fills the gaps recorded in offset_gap from the topic instead.
 */
export interface RecoveryRequest {
  readonly acceptLoss?: { readonly reason: string };
  readonly fillGaps?: true;
}

/** The request from an invocation's payload, or a ConfigError naming what is wrong with it. */
export function readRecoveryRequest(payload: unknown): RecoveryRequest {
  if (payload === null || payload === undefined) return {};
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ConfigError('the recovery takes {}, {"acceptLoss": {"reason": "..."}} or {"fillGaps": true}');
  }
  const { acceptLoss, fillGaps } = payload as { acceptLoss?: unknown; fillGaps?: unknown };
  if (fillGaps !== undefined) {
    if (fillGaps !== true || acceptLoss !== undefined) {
      throw new ConfigError('fillGaps is true or absent, and goes without acceptLoss: {"fillGaps": true}');
    }
    return { fillGaps: true };
  }
  if (acceptLoss === undefined) return {};
  const reason = (acceptLoss as { reason?: unknown } | null)?.reason;
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new ConfigError(
      'acceptLoss needs a reason: {"acceptLoss": {"reason": "why the loss is accepted"}}',
    );
  }
  return { acceptLoss: { reason: reason.trim() } };
}
