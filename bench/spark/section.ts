/**
 * Section 4: the peer, in the same run. The tutorial's own design — Spark Structured Streaming in
 * local mode, trigger 2 s, foreachBatch writing per-batch sums per branch × currency to PostgreSQL over
 * JDBC — reading the same topic fed by the same load generator with the same deals, put through the same
 * steps as our pipeline (bench/e2e/harness.ts), and set beside it.
 *
 * `npm run bench -- --only spark` runs it alone (and measures our pipeline for the comparison).
 */
import type { SystemMeasurement } from '../e2e/harness.js';
import { measureOnFreshServices } from '../e2e/measure.js';
import { panelsOfFigures } from '../report/chart.js';
import type { MeasuredSection, SectionOptions, SectionResult } from '../report/section.js';
import { ensureSparkPeerBuilt, javaVersion } from './build.js';
import { comparisonChecks, sideBySideMarkdown, sparkFigures } from './comparison.js';
import { createSparkSchema } from './schema.js';
import { SparkPeerSystem } from './spark-system.js';

function notRun(reason: string): SectionResult {
  return {
    markdown: [
      "### The peer: the tutorial's Spark Structured Streaming, in the same run",
      '',
      `Spark could not run here, so there is no comparison: ${reason}`,
      '',
    ].join('\n'),
    figures: { 'spark.ran': 'no', 'spark.error': reason },
  };
}

/**
 * Measures Spark, then sets it beside our pipeline's measurement: `ours` gives this run's (section 3's
 * when it ran, else a measurement made now), so the comparison never depends on what ran before.
 */
export async function runSparkSection(
  options: SectionOptions,
  ours: () => Promise<SystemMeasurement>,
): Promise<MeasuredSection | SectionResult> {
  let classpath: string;
  try {
    classpath = await ensureSparkPeerBuilt(options.log);
  } catch (error) {
    const reason = `building the job failed: ${(error as Error).message}`;
    options.log(reason);
    return notRun(reason);
  }
  let spark: SystemMeasurement;
  try {
    spark = await measureOnFreshServices(options, {
      prepare: createSparkSchema,
      system: (services) => new SparkPeerSystem(classpath, services, options.log),
    });
  } catch (error) {
    const reason = `the run failed: ${(error as Error).message}`;
    options.log(reason);
    return notRun(reason);
  }
  const measurement = await ours();
  const checks = comparisonChecks(measurement, spark);
  const figures = { 'spark.ran': 'yes', ...sparkFigures(spark, measurement) };
  return {
    markdown: sideBySideMarkdown(measurement, spark, checks, options.quick, await javaVersion()),
    figures,
    checks,
    panels: panelsOfFigures('4. The peer: Spark', figures),
    failures: [],
  };
}
