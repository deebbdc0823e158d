/**
 * The runtime's floor: a function that only counts the event's records, bundled and configured as the
 * aggregator is. Under the runtime client it costs what the runtime alone costs per invocation of an
 * event: receiving it, making it a string, JSON.parse, posting the answer.
 */
import type { MSKEvent } from 'aws-lambda';

export async function handler(event: MSKEvent): Promise<{ readonly records: number }> {
  let records = 0;
  for (const list of Object.values(event.records)) records += list.length;
  return { records };
}
