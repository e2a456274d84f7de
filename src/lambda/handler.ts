import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { countingThrottles } from '../aws/throttles.ts';
import { countsByDimension } from '../observability/metrics.ts';
import { logger } from './logger.ts';
import { publishMetrics } from './metrics.ts';

/**
 * Every autotap Lambda: the domain function wrapped with the shared concerns only, i.e. the
 * invocation's context in every log line, one error line per failed invocation, and the calls AWS
 * throttled as the AwsThrottled metric. Errors are rethrown untouched: their `name` is what the
 * state machine's Retry and Catch match on.
 */
export function lambdaHandler<I, O>(fn: (input: I, context: Context) => Promise<O>) {
  const counted = (input: I, context: Context) =>
    countingThrottles(
      () => fn(input, context),
      (counts) => publishMetrics(countsByDimension('AwsThrottled', 'Service', counts)),
    );
  return middy<I, O, Error, Context>(counted)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const error = request.error;
        if (error) logger.error('invocation failed', { errorName: error.name, errorMessage: error.message });
      },
    });
}
