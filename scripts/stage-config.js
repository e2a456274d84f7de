/**
 * Stage configuration for serverless.yml: `${file(scripts/stage-config.js):json}` and friends.
 *
 * osls loads variable files with `require()`; Node 24 loads this ES module that way (no top-level
 * await here, which `require()` of an ES module does not allow) together with the TypeScript
 * loader it imports, so `config/<stage>.yml` is validated by the same schema as everywhere else.
 * A missing or invalid file fails packaging with the loader's message, which names the field.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.ts';

export const serviceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const loaded = new Map();

/** The stage being packaged: `--stage`, else `provider.stage`, else `dev` (what `${sls:stage}` yields). */
export async function stageOf({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  if (typeof stage !== 'string' || !/^[A-Za-z0-9-]+$/.test(stage)) {
    throw new Error(`stage: expected letters, digits and dashes, got ${JSON.stringify(stage)}`);
  }
  return stage;
}

/** Loads and validates `config/<stage>.yml` once per stage; throws an error naming the field. */
export function loadStageConfig(stage, dir = serviceDir) {
  const file = path.join(dir, 'config', `${stage}.yml`);
  const relative = path.relative(process.cwd(), file);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  if (!loaded.has(file)) {
    try {
      loaded.set(file, { config: loadConfigFile(shown) });
    } catch (error) {
      // Keep only the message: osls prints the whole stack of a rejected resolver.
      const failure = new Error(`${error.name ?? 'Error'}: ${error.message}`);
      failure.stack = failure.message;
      loaded.set(file, { failure });
    }
  }
  const entry = loaded.get(file);
  if (entry.failure) throw entry.failure;
  return entry.config;
}

/** The validated configuration (defaults applied). */
export async function config(context) {
  return loadStageConfig(await stageOf(context));
}

/** The validated configuration as compact JSON: the functions' AUTOTAP_CONFIG. */
export async function json(context) {
  return JSON.stringify(await config(context));
}

/**
 * One email subscription to the ops topic per `notifications.opsEmails` entry. The logical id comes
 * from the address, so reordering the list changes nothing.
 */
export function emailSubscriptions({ notifications }) {
  const Resources = {};
  for (const address of notifications.opsEmails) {
    const suffix = createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 10);
    Resources[`OpsEmailSubscription${suffix}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'OpsTopic' }, Protocol: 'email', Endpoint: address },
    };
  }
  return { Resources };
}

export async function opsEmailSubscriptions(context) {
  return emailSubscriptions(await config(context));
}

/** The reconciler's EventBridge schedule (`mirroring.reconcileSchedule`). */
export async function reconcileSchedule(context) {
  return (await config(context)).mirroring.reconcileSchedule;
}
