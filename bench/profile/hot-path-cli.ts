/**
 * Entry point: the handler's path in a loop, optionally under V8's sampling profiler.
 *
 *   npx tsx bench/profile/hot-path-cli.ts --seconds 8 [--profile out.cpuprofile]
 *
 * Prints one JSON line, {"records": n}: what bench/profile/section.ts reads.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { hotPathEvents, runHotPath } from './hot-path.js';

/** What the CLI prints on its one line of stdout. */
export interface HotPathResult {
  readonly records: number;
}

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '8' }, profile: { type: 'string' } },
});
const seconds = Number(values.seconds);
const events = hotPathEvents();
let session: Session | undefined;
if (values.profile !== undefined) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 1 ms, as node --cpu-prof samples by default.
  await session.post('Profiler.setSamplingInterval', { interval: 1_000 });
  await session.post('Profiler.start');
}
const { records } = runHotPath(seconds, events);
if (session !== undefined && values.profile !== undefined) {
  const { profile } = await session.post('Profiler.stop');
  await writeFile(values.profile, JSON.stringify(profile));
  session.disconnect();
}
const result: HotPathResult = { records };
console.log(JSON.stringify(result));
