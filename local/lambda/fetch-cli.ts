import { ensureRuntimeEmulator, RIE_VERSION } from './runtime-emulator.js';

// `npm run rie:fetch`: build the Runtime Interface Emulator ahead of time (CI does, before the tests).
const startedAt = performance.now();
try {
  const binary = await ensureRuntimeEmulator((line) => console.log(line));
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`Lambda Runtime Interface Emulator ${RIE_VERSION} is ready: ${binary} (${seconds} s)`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
