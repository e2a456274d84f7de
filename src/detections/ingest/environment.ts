import { detectionsSection } from '../../config/environment.ts';
import { detectionsSchema, type DetectionsConfig } from '../../config/schema.ts';
import type { LifecyclePolicy } from '../lifecycle.ts';

/** What the detection Lambdas read from their environment, besides their part of the configuration. */
export const ENV = {
  table: 'DETECTIONS_TABLE',
  queueUrl: 'DETECTIONS_QUEUE_URL',
  detectionsTopicArn: 'DETECTIONS_TOPIC_ARN',
  emailTopicArn: 'DETECTIONS_EMAIL_TOPIC_ARN',
  slackQueueUrl: 'SLACK_QUEUE_URL',
  opsTopicArn: 'OPS_TOPIC_ARN',
  initialLookbackMinutes: 'DETECTIONS_INITIAL_LOOKBACK_MINUTES',
} as const;

/** The detections section; a configuration without one gets the defaults. */
export function detectionsConfig(env: NodeJS.ProcessEnv = process.env): DetectionsConfig {
  return detectionsSection(env) ?? detectionsSchema.parse({});
}

export function lifecyclePolicy(config: DetectionsConfig): LifecyclePolicy {
  return {
    minRiskScore: config.minRiskScore,
    escalationDelta: config.escalationDelta,
    notifyOnClose: config.notifyOnClose,
  };
}
