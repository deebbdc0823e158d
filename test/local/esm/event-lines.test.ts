import { describe, expect, it } from 'vitest';
import {
  ESM_EVENT_LINES_ENV,
  eventLinesFromEnv,
  invocationLine,
  parseEventLine,
  retryLine,
} from '../../../local/esm/event-lines.js';

describe('the emulator’s event lines', () => {
  it('carry a retry through JSON with the error as its message', () => {
    // Prepare
    const line = retryLine({
      topic: 'transaction',
      partition: 2,
      fromOffset: 40,
      attempt: 3,
      delayMs: 2_000,
      error: new Error('connect ECONNREFUSED'),
    });

    // Act
    const parsed = parseEventLine(JSON.stringify(line));

    // Assess
    expect(parsed).toEqual({
      event: 'esm.retry',
      topic: 'transaction',
      partition: 2,
      fromOffset: 40,
      attempt: 3,
      delayMs: 2_000,
      error: 'connect ECONNREFUSED',
    });
  });

  it('carry an invocation without the handler’s result', () => {
    // Prepare
    const { result: _result, ...fields } = {
      topic: 't',
      partition: 0,
      fromOffset: 0,
      toOffset: 9,
      records: 10,
      durationMs: 12,
      result: { applied: 10 },
    };

    // Act
    const parsed = parseEventLine(JSON.stringify(invocationLine({ ...fields, result: _result })));

    // Assess
    expect(parsed).toEqual({ event: 'esm.invocation', ...fields });
  });

  it.each([
    'batch of partition 1 from offset 0 failed (attempt 1): boom; retrying in 500 ms',
    '{"event":"esm.retry", broken',
    '{"event":"other"}',
    '{"event":"esm.unknown"}',
    '',
  ])('are not read from any other line: %j', (text) => {
    // Act and Assess
    expect(parseEventLine(text)).toBeUndefined();
  });

  it('are written only when the environment asks for them', () => {
    // Act and Assess
    expect(eventLinesFromEnv({})).toBeUndefined();
    expect(eventLinesFromEnv({ [ESM_EVENT_LINES_ENV]: '0' })).toBeUndefined();
    expect(eventLinesFromEnv({ [ESM_EVENT_LINES_ENV]: '1' })).toBeTypeOf('function');
  });
});
