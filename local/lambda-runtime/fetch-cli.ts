import { FUNCTION_NODE_VERSION } from './function-node.js';
import { prepareRuntime } from './prepare-runtime.js';
import { RUNTIME_CLIENT_VERSION } from './runtime-client.js';
import { RIE_VERSION } from './runtime-emulator.js';

// `npm run rie:fetch`: build the Runtime Interface Emulator, fetch the functions' Node.js and build
// AWS's runtime interface client ahead of time (CI does, before the tests).
const startedAt = performance.now();
try {
  const { emulator, node, runtimeClient } = await prepareRuntime((line) => console.log(line));
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(`Lambda Runtime Interface Emulator ${RIE_VERSION}: ${emulator}`);
  console.log(`Node.js for the functions (${FUNCTION_NODE_VERSION}): ${node}`);
  console.log(
    `runtime interface client (aws-lambda-ric ${RUNTIME_CLIENT_VERSION}): ${runtimeClient} (${seconds} s)`,
  );
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
}
