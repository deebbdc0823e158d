/**
 * Wraps a fetch-once step (a download, a build) so that concurrent and later callers share one
 * attempt, unless it fails: the next call then tries again instead of getting the old failure.
 */
export function sharedUntilFailure<T>(
  make: (log: (line: string) => void) => Promise<T>,
): (log?: (line: string) => void) => Promise<T> {
  let pending: Promise<T> | undefined;
  return (log = () => {}) => {
    pending ??= make(log).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
