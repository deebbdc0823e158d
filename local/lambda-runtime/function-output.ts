/**
 * A line a function's execution environment printed, as CloudWatch Logs would receive it: an EMF
 * metric document (Powertools' Metrics), a JSON log record (Powertools' Logger, or console.* in the
 * runtime's JSON log format), or a platform line of the emulator (START, END, REPORT, its own logs).
 */
export type FunctionOutputLine =
  | { readonly kind: 'metrics'; readonly document: EmfDocument }
  | { readonly kind: 'log'; readonly record: Readonly<Record<string, unknown>> }
  | { readonly kind: 'platform'; readonly text: string };

/** The part of the CloudWatch embedded metric format this project reads. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [member: string]: unknown;
}

function isEmf(value: Record<string, unknown>): value is EmfDocument {
  const aws = value._aws as { CloudWatchMetrics?: unknown } | undefined;
  return typeof aws === 'object' && aws !== null && Array.isArray(aws.CloudWatchMetrics);
}

export function classifyOutputLine(line: string): FunctionOutputLine {
  if (line.startsWith('{')) {
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        return isEmf(record) ? { kind: 'metrics', document: record } : { kind: 'log', record };
      }
    } catch {
      // Not JSON after all: the emulator's own text.
    }
  }
  return { kind: 'platform', text: line };
}

/** The value of one metric in an EMF document, or undefined when the document has none of that name. */
export function emfValue(document: EmfDocument, name: string): number | undefined {
  const declared = document._aws.CloudWatchMetrics.some((set) => set.Metrics.some((m) => m.Name === name));
  if (!declared) return undefined;
  const value = document[name];
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + Number(v), 0);
  return undefined;
}

/** Splits a stream's chunks into whole lines. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let end = pending.indexOf('\n');
    while (end >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
      if (line.length > 0) onLine(line);
      end = pending.indexOf('\n');
    }
  };
}
