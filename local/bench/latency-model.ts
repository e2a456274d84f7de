/**
 * The latency a user waits between an instance's `running` event and its session existing is what
 * the run measures (EC2 calls, throttling, retries, in model time) plus what the local run does not
 * have: EventBridge's delivery, Step Functions' own time per state, and the Lambda runtime starting.
 * Those are parameters here, in one place, each with where its value comes from. AWS publishes no
 * latency figure for EventBridge delivery or Step Functions transitions; the values are assumptions
 * of the order observed, stated as such, and every table that uses them says so.
 */

export interface LatencyModel {
  /**
   * Event to target invocation. AWS: "near real time" (https://aws.amazon.com/eventbridge/faqs/), no
   * figure published. Assumption: 0.5 s.
   */
  eventBridgeDeliverySeconds: number;
  /** Step Functions' own time per state entered (Standard workflow). No figure published. Assumption: 0.05 s. */
  stepFunctionsTransitionSeconds: number;
  /**
   * A cold start before the bundle's module load: microVM and runtime. AWS: cold starts take "from
   * under 100 ms to over 1 second" (https://aws.amazon.com/blogs/compute/operating-lambda-performance-optimization-part-1/).
   * Assumption: 0.15 s; the module load itself is measured (bundles), not assumed.
   */
  lambdaColdProvisionSeconds: number;
  /** Module load when the bundles were not measured in the run (--skip-bundles). Assumption: 0.2 s. */
  lambdaModuleLoadFallbackSeconds: number;
  /** Invocation overhead of a warm container. Assumption: 0.01 s. */
  lambdaWarmInvokeSeconds: number;
  /**
   * Retries of an asynchronous invocation that failed: Lambda runs it twice more, waiting 1 then 2
   * minutes (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
   */
  asyncRetryDelaysSeconds: readonly number[];
}

export const LATENCY_MODEL: LatencyModel = {
  eventBridgeDeliverySeconds: 0.5,
  stepFunctionsTransitionSeconds: 0.05,
  lambdaColdProvisionSeconds: 0.15,
  lambdaModuleLoadFallbackSeconds: 0.2,
  lambdaWarmInvokeSeconds: 0.01,
  asyncRetryDelaysSeconds: [60, 120],
};

/** Seconds one Lambda invocation adds before its handler runs: cold (provision + module load) or warm. */
export function lambdaStartSeconds(model: LatencyModel, cold: boolean, moduleLoadSeconds: number | undefined): number {
  return cold ? model.lambdaColdProvisionSeconds + (moduleLoadSeconds ?? model.lambdaModuleLoadFallbackSeconds) : model.lambdaWarmInvokeSeconds;
}
