/**
 * The account quotas a stage's configuration must fit, and what the stage takes of them. The defaults
 * are AWS's; an account whose quota was raised (or, for a new account, is lower) says so in the
 * `quotas` section, and `autotap doctor` reads the real figure where AWS exposes it.
 */

/**
 * Lambda's concurrent executions per account and region, 1,000 by default
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const DEFAULT_LAMBDA_CONCURRENT_EXECUTIONS = 1000;
/**
 * "You can reserve up to the Unreserved account concurrency value minus 100": Lambda keeps 100 for the
 * functions without reserved concurrency (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 */
export const LAMBDA_MINIMUM_UNRESERVED = 100;
export const LAMBDA_CONCURRENCY_PAGE = 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html';

/**
 * "By default, you can have up to 200 filter policies per topic, and 10,000 filter policies per AWS
 * account"; raised through Service Quotas; Subscribe with one more fails
 * (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html).
 */
export const DEFAULT_SNS_FILTER_POLICIES_PER_TOPIC = 200;
export const SNS_FILTER_POLICY_PAGE =
  'https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html';

/**
 * How many notifier invocations may post to Slack at once: the Slack queue's event source mapping runs
 * at most this many (its MaximumConcurrency, whose minimum is 2), and the function's reserved
 * concurrency equals it so that no batch is throttled (deploy/stage-config.ts).
 */
export const SLACK_CONCURRENT_POSTERS = 2;

/** What reserves Lambda concurrency in a stage: the parts of the configuration that decide it. */
export interface ReservingConfig {
  detections?:
    | {
        enabled: boolean;
        webhook: { enabled: boolean; reservedConcurrency: number };
        slack?: unknown;
      }
    | undefined;
}

/** Each function the stage deploys with reserved concurrency, by its key in serverless.yml. */
export function reservedConcurrencies(config: ReservingConfig): Record<string, number> {
  const detections = config.detections;
  if (!detections?.enabled) return {};
  return {
    ...(detections.webhook.enabled ? { detectionsWebhook: detections.webhook.reservedConcurrency } : {}),
    ...(detections.slack !== undefined ? { slackNotify: SLACK_CONCURRENT_POSTERS } : {}),
  };
}

export const totalReserved = (config: ReservingConfig): number =>
  Object.values(reservedConcurrencies(config)).reduce((sum, n) => sum + n, 0);

/** The most the stage may reserve of an account with `concurrentExecutions` and nothing else reserved. */
export const reservableConcurrency = (concurrentExecutions: number): number =>
  Math.max(0, concurrentExecutions - LAMBDA_MINIMUM_UNRESERVED);
