import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from './logger.ts';

/**
 * Every autotap Lambda: the domain function wrapped with the shared concerns only, i.e. the
 * invocation's context in every log line and one error line per failed invocation. Errors are
 * rethrown untouched: their `name` is what the state machine's Retry and Catch match on.
 */
export function lambdaHandler<I, O>(fn: (input: I, context: Context) => Promise<O>) {
  return middy<I, O, Error, Context>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const error = request.error;
        if (error) logger.error('invocation failed', { errorName: error.name, errorMessage: error.message });
      },
    });
}
