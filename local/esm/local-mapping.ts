/** The ARN the emulator puts in an event's eventSourceArn, shaped as MSK's: cluster/<name>/<id>. */
export function localClusterArn(clusterName: string, clusterId: string): string {
  return `arn:aws:kafka:local:000000000000:cluster/${clusterName}/${clusterId}`;
}
