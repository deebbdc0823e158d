import { describe, expect, it } from 'vitest';
import { scheduledEvent } from '../../../local/run/scheduled-event.js';

describe('scheduledEvent', () => {
  it("has the shape of EventBridge's Scheduled Event, with the rule as its resource and whole-second time", () => {
    const event = scheduledEvent(
      'arn:aws:events:local:000000000000:rule/r',
      new Date('2026-12-01T10:00:00.456Z'),
    );

    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-12-01T10:00:00Z',
      resources: ['arn:aws:events:local:000000000000:rule/r'],
      detail: {},
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
