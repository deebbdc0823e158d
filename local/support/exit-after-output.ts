/**
 * process.exit() once stdout and stderr have written what was queued: on a pipe both are
 * asynchronous, and a bare process.exit() drops what has not gone out yet (a test that reads the
 * recovery's last lines met exactly that).
 */
export function exitAfterOutput(code: number): void {
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
