/**
 * The entry point of serverless.yml's `${file(deploy/serverless.js):<name>}` variables: osls loads
 * variable files with `require()`, which takes a .js file; the stack assembly itself is TypeScript,
 * whose types Node 24 strips when this module imports it.
 */
export {
  bundledConfig,
  createdMirroring,
  detectionsFunctions,
  detectionsResources,
  opsEmailSubscriptions,
  opsTopicAlarmArns,
  providerEnvironment,
  reconcileRoundMemory,
  reconcileSchedule,
  reconcileSliceMemory,
  ruleEventsDeadLetters,
} from './stage-config.ts';
export { cleanupSessionsEvents, eventRuleArns, mirrorInstancesEvents, reconcileEvents } from './event-rules.ts';
export { resources as roleResources, sessionPolicies } from './roles.ts';
export { cleanupSessions, mirrorInstances, reconcile } from './state-machines.ts';
export { stage } from './stage-checks.ts';
export { tagChangesFunctions, tagChangesResources } from './tag-changes.ts';
