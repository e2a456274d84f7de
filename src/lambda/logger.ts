import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger for every autotap Lambda (level from LOG_LEVEL / POWERTOOLS_LOG_LEVEL). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'autotap' });
