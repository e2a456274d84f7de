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
export { eventRuleArns } from './event-rules.ts';
export { resources as roleResources, sessionPolicies } from './roles.ts';
export { opsRuleArns, organizationResources } from './organization.ts';
export { stateMachines } from './state-machines.ts';
export { lambdaTracing, observabilityResources } from './observability.ts';
export { stage } from './stage-checks.ts';
export { tagChangesFunctions, tagChangesResources } from './tag-changes.ts';
