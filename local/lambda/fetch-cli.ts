import { ensureFunctionNode, FUNCTION_NODE_VERSION } from './function-node.js';
import { ensureRuntimeEmulator, RIE_VERSION } from './runtime-emulator.js';

// `npm run rie:fetch`: build the Runtime Interface Emulator and fetch the functions' Node.js ahead of
// time (CI does, before the tests).
const startedAt = performance.now();
try {
  const log = (line: string) => console.log(line);
  const [emulator, node] = await Promise.all([ensureRuntimeEmulator(log), ensureFunctionNode(log)]);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`Lambda Runtime Interface Emulator ${RIE_VERSION}: ${emulator}`);
  console.log(`Node.js for the functions (${FUNCTION_NODE_VERSION} wanted): ${node} (${seconds} s)`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
