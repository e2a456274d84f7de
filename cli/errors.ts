/**
 * The two ways a command ends in error. The dispatcher (cli/main.ts) prints the message, and after a
 * UsageError also the usage of the command that was run.
 */

/** The command line itself is wrong: a missing or unknown option, a malformed value. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command line is fine but the command cannot go on: the message says what to do. */
export class CommandError extends Error {
  override name = 'CommandError';
}
