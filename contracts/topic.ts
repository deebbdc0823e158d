/** The topic's durability rules, shared by the stack (the cluster's defaults) and the topic setup function. */

/**
 * In-sync replicas an acks=all write needs: one fewer than the replicas, so that one broker may be
 * down (MSK's rolling updates take brokers down one at a time) while writes go on; with one replica
 * there is nothing to spare.
 */
export function minInsyncReplicasFor(replicationFactor: number): number {
  return Math.max(1, replicationFactor - 1);
}

/**
 * The settings the aggregator's checkpoint relies on, for the topic and as the cluster's defaults.
 * An unclean leader election (MSK's default is true on clusters without tiered storage) makes a
 * lagging replica the leader: acknowledged records are lost and new ones reuse their offsets, which
 * the checkpoint would then skip as already applied. See docs/RELIABILITY.md.
 */
export function durabilitySettings(minInsyncReplicas: number): Record<string, string> {
  return {
    'min.insync.replicas': String(minInsyncReplicas),
    'unclean.leader.election.enable': 'false',
  };
}
