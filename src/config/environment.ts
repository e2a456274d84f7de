import {
  configSchema,
  type Config,
  type DetectionsConfig,
  type MirroringConfig,
  type MirroringSection,
  type OrganizationConfig,
} from './schema.ts';
import { CREATED_FILTER_VARIABLE, CREATED_TARGET_VARIABLE, mirroringOf, type CreatedIds } from './created.ts';
import { ConfigError } from './error.ts';
import { parseOrThrow } from '../validation.ts';

/**
 * Where a Lambda finds its part of the stage configuration.
 *
 * Deployed: packaging validates config/<stage>.yml and bundles each part into the code as a JSON
 * string (esbuild `define` of the two constants below, see deploy/stage-config.ts `bundledConfigDefine`),
 * so no size of configuration meets Lambda's 4 KB environment limit. A function's bundle holds only
 * the parts its code reads: tree shaking drops the other constant, and `notifications` (CloudFormation
 * only) is never bundled. The constants are the output of that validation (defaults applied) and
 * packaging refuses an invalid configuration (tests/config/bundled.slow.test.ts), so a deployed
 * function reads them as they are: validating them again would only lengthen every cold start.
 *
 * Run from source (the local AWS, tests, `autotap`), the constants do not exist and the whole
 * configuration comes as JSON in AUTOTAP_CONFIG instead.
 */
declare const __AUTOTAP_MIRRORING_CONFIG__: string | undefined;
declare const __AUTOTAP_DETECTIONS_CONFIG__: string | undefined;
declare const __AUTOTAP_ORGANIZATION_CONFIG__: string | undefined;

/** The variable the local runs put the whole configuration in (never set on a deployed function). */
export const LOCAL_CONFIG_VARIABLE = 'AUTOTAP_CONFIG';

function parseJson(raw: string, origin: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`${origin}: not valid JSON`);
  }
}

let bundledMirroring: MirroringConfig | undefined;
let bundledDetections: { section: DetectionsConfig | undefined } | undefined;
let bundledOrganization: { section: OrganizationConfig | undefined } | undefined;
let local: { raw: string; config: Config } | undefined;

/** The whole configuration from AUTOTAP_CONFIG; parsed again only when the variable changes (between local runs). */
function localConfig(env: NodeJS.ProcessEnv): Config {
  const raw = env[LOCAL_CONFIG_VARIABLE];
  if (!raw) throw new ConfigError(`${LOCAL_CONFIG_VARIABLE}: not set (expected the stage configuration as JSON)`);
  if (local?.raw === raw) return local.config;
  const document = parseJson(raw, LOCAL_CONFIG_VARIABLE);
  local = {
    raw,
    config: parseOrThrow(configSchema, document, (d) => new ConfigError(`${LOCAL_CONFIG_VARIABLE}: ${d}`)),
  };
  return local.config;
}

/** The ids of the filter and target the stack created (`mirroring.create`), from the variables it sets. */
export function createdIdsFrom(section: MirroringSection, env: NodeJS.ProcessEnv = process.env): CreatedIds {
  return {
    filterId: section.create?.filter
      ? requiredVariable(CREATED_FILTER_VARIABLE, 'the id of the traffic mirror filter the stack created', env)
      : undefined,
    targetId: section.create?.target
      ? requiredVariable(CREATED_TARGET_VARIABLE, 'the id of the traffic mirror target the stack created', env)
      : undefined,
  };
}

/**
 * The stage's `mirroring` section: the bundled one when deployed, else AUTOTAP_CONFIG's; with the
 * ids of what the stack created (`mirroring.create`, src/config/created.ts) merged in. The local
 * reading is an `else`: with the constant defined, esbuild drops it, and the schemas with it.
 */
export function mirroringConfig(env: NodeJS.ProcessEnv = process.env): MirroringConfig {
  if (typeof __AUTOTAP_MIRRORING_CONFIG__ === 'string') {
    if (!bundledMirroring) {
      const section = parseJson(__AUTOTAP_MIRRORING_CONFIG__, 'bundled mirroring') as MirroringSection;
      bundledMirroring = mirroringOf({ mirroring: section }, createdIdsFrom(section, env));
    }
    return bundledMirroring;
  } else {
    const { mirroring } = localConfig(env);
    return mirroringOf({ mirroring }, createdIdsFrom(mirroring, env));
  }
}

/** The stage's `detections` section (undefined when it has none): the bundled one when deployed, else AUTOTAP_CONFIG's. */
export function detectionsSection(env: NodeJS.ProcessEnv = process.env): DetectionsConfig | undefined {
  if (typeof __AUTOTAP_DETECTIONS_CONFIG__ === 'string') {
    if (!bundledDetections) {
      const document = parseJson(__AUTOTAP_DETECTIONS_CONFIG__, 'bundled detections');
      bundledDetections = {
        section: document === null ? undefined : (document as DetectionsConfig),
      };
    }
    return bundledDetections.section;
  } else {
    return localConfig(env).detections;
  }
}

/** The stage's `organization` section, if it has one: which member accounts and Regions the workflows act in. */
export function organizationSection(env: NodeJS.ProcessEnv = process.env): OrganizationConfig | undefined {
  if (typeof __AUTOTAP_ORGANIZATION_CONFIG__ === 'string') {
    if (!bundledOrganization) {
      const document = parseJson(__AUTOTAP_ORGANIZATION_CONFIG__, 'bundled organization');
      bundledOrganization = { section: document === null ? undefined : (document as OrganizationConfig) };
    }
    return bundledOrganization.section;
  } else {
    return localConfig(env).organization;
  }
}

/** A variable the stack sets on the function; its absence is a packaging defect, named plainly. */
export function requiredVariable(name: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name}: not set (expected ${what})`);
  return value;
}
