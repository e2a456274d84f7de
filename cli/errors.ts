/**
 * The two ways a command ends in error. The dispatcher (cli/main.ts) prints the message, and after a
 * UsageError also the usage of the command that was run, and exits EXIT.notRun.
 */

/** The command line itself is wrong: a missing or unknown option, a malformed value. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command line is fine but the command cannot go on: the message says what to do. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/**
 * One meaning per exit code for every command, as grep and diff have: a script can tell "the answer
 * is no" from "could not ask".
 */
export const EXIT = {
  /** Done, and all is well. */
  ok: 0,
  /** The command ran and its answer is a failure: a check failed, an execution failed, something not done. */
  failed: 1,
  /** The command could not do its work: the command line, the configuration, AWS access, an error from AWS, a refusal. */
  notRun: 2,
} as const;
