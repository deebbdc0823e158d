import type { ScheduledEvent } from 'aws-lambda';

/**
 * The event an EventBridge rule with `Schedule.rate(...)` sends its Lambda target, as AWS documents
 * it ("Scheduled Event" from aws.events, empty detail); the local scheduler sends the same.
 */
export function scheduledEvent(ruleArn: string, at: Date = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [ruleArn],
    detail: {},
  };
}
