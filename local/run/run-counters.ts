/** What a run has produced, applied and set aside so far. */
import { AGGREGATOR_METRIC } from '../../contracts/telemetry/metrics.js';
import { emfValue, type FunctionOutputLine } from '../lambda-runtime/function-output.js';

export class RunCounters {
  produced = 0;
  applied = 0;
  rejected = 0;
  batches = 0;

  countApplied(applied: number, rejected: number): void {
    this.applied += applied;
    this.rejected += rejected;
  }

  /** As CloudWatch gets them: the aggregator's EMF lines count what was applied and rejected. */
  countOutput(functionName: string, line: FunctionOutputLine): void {
    if (functionName !== 'aggregator' || line.kind !== 'metrics') return;
    this.countApplied(
      emfValue(line.document, AGGREGATOR_METRIC.applied) ?? 0,
      emfValue(line.document, AGGREGATOR_METRIC.rejected) ?? 0,
    );
  }
}
