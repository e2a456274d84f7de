import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configSchema, type Config } from './schema.ts';
import { parseOrThrow } from '../validation.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
    throw new ConfigError(`${path}: not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(document, path);
}

let parsed: { raw: string; config: Config } | undefined;

/**
 * The deployed Lambdas receive the validated configuration as JSON in AUTOTAP_CONFIG. Parsed once
 * per container (again only if the variable changes, as it does between local runs).
 */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = env.AUTOTAP_CONFIG;
  if (!raw) throw new ConfigError('AUTOTAP_CONFIG: not set (expected the stage configuration as JSON)');
  if (parsed?.raw === raw) return parsed.config;
  let document: unknown;
  try {
    document = JSON.parse(raw);
  } catch {
    throw new ConfigError('AUTOTAP_CONFIG: not valid JSON');
  }
  parsed = { raw, config: parseConfig(document, 'AUTOTAP_CONFIG') };
  return parsed.config;
}
