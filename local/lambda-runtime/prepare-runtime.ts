import type { RuntimeBinaries } from './execution-environment.js';
import { ensureFunctionNode, functionNodePrerequisites } from './function-node.js';
import { ensureRuntimeClient, runtimeClientPrerequisites } from './runtime-client.js';
import { ensureRuntimeEmulator, runtimeEmulatorPrerequisites } from './runtime-emulator.js';

/**
 * What the local Lambda runtime needs, each built or fetched once into `.cache/`: the Runtime Interface
 * Emulator (Go), Node.js 24 (pip) and AWS's runtime interface client (a C++ toolchain). A machine
 * without one of them fails with that one's MissingPrerequisite, in a second, before any step has
 * begun a download or a build; then the three steps run together.
 */
export async function prepareRuntime(log?: (line: string) => void): Promise<RuntimeBinaries> {
  await Promise.all([
    runtimeEmulatorPrerequisites(),
    functionNodePrerequisites(),
    runtimeClientPrerequisites(),
  ]);
  const [emulator, node, runtimeClient] = await Promise.all([
    ensureRuntimeEmulator(log),
    ensureFunctionNode(log),
    ensureRuntimeClient(log),
  ]);
  return { emulator, node, runtimeClient };
}
