import { ensureKafkaDistribution, KAFKA_VERSION } from './distribution.js';

// `npm run kafka:fetch`: fetch the broker ahead of time (e.g. while online), so that the first
// `npm start` or integration test run does not wait for Maven.
const startedAt = performance.now();
try {
  const libDir = await ensureKafkaDistribution((line) => console.log(line));
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`Kafka ${KAFKA_VERSION} is ready in ${libDir} (${seconds} s)`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
