import { configSchema, type Config } from './schema.ts';
import { ConfigError } from './error.ts';
import { parseOrThrow } from '../validation.ts';

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
  parsed = { raw, config: parseOrThrow(configSchema, document, (d) => new ConfigError(`AUTOTAP_CONFIG: ${d}`)) };
  return parsed.config;
}
