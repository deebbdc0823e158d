/**
 * A tool, setting or resource the local runtime needs and does not have (no Java, a database that
 * refuses the password, a full disk). Its message is one line: what is missing and the command or
 * setting that fixes it. The CLIs print it as it is, never with a stack trace.
 */
export class MissingPrerequisite extends Error {
  constructor(
    readonly missing: string,
    readonly fix: string,
  ) {
    super(`${missing}: ${fix}`);
    this.name = 'MissingPrerequisite';
  }
}

/** ENOSPC as one line: the folder whose disk is full, and what to do about it. */
export function diskFullOr(error: unknown, folder: string): unknown {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC' ||
    /ENOSPC|No space left on device/.test(String((error as Error | undefined)?.message ?? error))
    ? new MissingPrerequisite(
        `the disk under ${folder} is full (ENOSPC)`,
        `free some space there (or remove ${folder}, which is re-fetched), then run again`,
      )
    : error;
}

/** The first non-empty line of a tool's output, for a one-line error. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}
