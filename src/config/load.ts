import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configSchema, type Config } from './schema.ts';
import { parseOrThrow } from '../validation.ts';
import { ConfigError } from './error.ts';
import { describeThrown } from '../thrown.ts';

export { ConfigError };

/** Validates an already-parsed configuration document. */
export function parseConfig(document: unknown, origin = 'configuration'): Config {
  return parseOrThrow(configSchema, document, (d) => new ConfigError(`${origin}: ${d}`));
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: configuration file not found (expected config/<stage>.yml)`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML: ${describeThrown(error).message}`);
  }
  return parseConfig(document, path);
}
