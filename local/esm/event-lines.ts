/** One invocation, as the emulator reports it. */
export interface InvocationInfo {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly toOffset: number;
  readonly records: number;
  readonly durationMs: number;
  readonly result: unknown;
}

export interface RetryInfo {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/**
 * The emulator's events as JSON lines on stdout, for a parent process (the soak) to read instead of
 * the human text `npm start` prints. Off unless ESM_EVENT_LINES=1, like ESM_FAULT a switch of the
 * local runtime that a parent sets for its child.
 */
export const ESM_EVENT_LINES_ENV = 'ESM_EVENT_LINES';

/** A batch failed and will be retried after `delayMs`: RetryInfo with its error as text. */
export type RetryLine = Omit<RetryInfo, 'error'> & { readonly event: 'esm.retry'; readonly error: string };

/** A batch was invoked and its offsets committed: InvocationInfo without the handler's result. */
export type InvocationLine = Omit<InvocationInfo, 'result'> & { readonly event: 'esm.invocation' };

export type EsmEventLine = RetryLine | InvocationLine;

export function retryLine(info: RetryInfo): RetryLine {
  const { topic, partition, fromOffset, attempt, delayMs } = info;
  const error = info.error instanceof Error ? info.error.message : String(info.error);
  return { event: 'esm.retry', topic, partition, fromOffset, attempt, delayMs, error };
}

export function invocationLine(info: InvocationInfo): InvocationLine {
  const { topic, partition, fromOffset, toOffset, records, durationMs } = info;
  return { event: 'esm.invocation', topic, partition, fromOffset, toOffset, records, durationMs };
}

/** A writer of event lines to stdout when the environment asks for them, else undefined. */
export function eventLinesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ((line: EsmEventLine) => void) | undefined {
  if (env[ESM_EVENT_LINES_ENV] !== '1') return undefined;
  return (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The event a line of a child's output carries, or undefined for any other line. */
export function parseEventLine(text: string): EsmEventLine | undefined {
  if (!text.startsWith('{"event":"esm.')) return undefined;
  try {
    const line = JSON.parse(text) as EsmEventLine;
    return line.event === 'esm.retry' || line.event === 'esm.invocation' ? line : undefined;
  } catch {
    return undefined;
  }
}
