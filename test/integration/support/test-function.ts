import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FunctionOutputLine } from '../../../local/lambda-runtime/function-output.js';
import { LocalFunction, type LocalFunctionOptions } from '../../../local/lambda-runtime/local-function.js';

/** A function a test runs as Lambda runs it, with everything its environments printed. */
export interface TestFunction {
  readonly function: LocalFunction;
  /** JSON logs, EMF metrics and platform lines, in the order they came. */
  readonly output: readonly FunctionOutputLine[];
  invoke(payload: unknown): Promise<unknown>;
  /** Stops its environments and removes its bundle. */
  stop(): Promise<void>;
}

let started = 0;

/**
 * Starts a function under the runtime emulator on a bundle of the test's own: test files run one
 * after another, but a bundle is never rewritten under an environment that still runs on it.
 */
export async function startTestFunction(
  options: Omit<LocalFunctionOptions, 'bundleDir' | 'onOutput'>,
): Promise<TestFunction> {
  const output: FunctionOutputLine[] = [];
  const bundleDir = fileURLToPath(
    new URL(
      `../../../.cache/lambda/test-${options.definition.name}-${process.pid}-${++started}/`,
      import.meta.url,
    ),
  );
  const fn = await LocalFunction.create({ ...options, bundleDir, onOutput: (line) => output.push(line) });
  return {
    function: fn,
    output,
    invoke: (payload) => fn.invoke(payload),
    stop: async () => {
      await fn.stop();
      await rm(bundleDir, { recursive: true, force: true });
    },
  };
}
