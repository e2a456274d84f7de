import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';
import { didYouMean } from './suggest.ts';

/**
 * node:util's parseArgs, strict, with its errors turned into a UsageError that names the command,
 * and an unknown option answered with the closest known one.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (!code?.startsWith('ERR_PARSE_ARGS')) throw error;
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    if (unknown !== undefined) {
      const known = Object.entries(config.options ?? {}).flatMap(([name, o]) => [
        `--${name}`,
        ...(o.short ? [`-${o.short}`] : []),
      ]);
      throw new UsageError(`${command}: unknown option ${unknown}${didYouMean(unknown, [...known, '--help'])}`);
    }
    const positional = /^Unexpected argument '([^']+)'/.exec(message)?.[1];
    if (positional !== undefined)
      throw new UsageError(`${command}: unexpected argument "${positional}" (this command takes options only)`);
    // Node's text for a missing value is "Option '--stage <value>' argument missing".
    throw new UsageError(`${command}: ${message.replace(/\.? To specify .*$/s, '')}`);
  }
}
