import { publish as snsPublish } from '../aws/sns.ts';
import { requiredVariable } from '../config/environment.ts';
import { describeThrown } from '../thrown.ts';
import { logger } from './logger.ts';

/** What people watching the ops topic are told: a subject line (the e-mail's) and a plain-text body. */
export interface OpsReport {
  subject: string;
  message: string;
}

/** The variable the stack sets on every function (serverless.yml, provider environment). */
export const OPS_TOPIC_VARIABLE = 'OPS_TOPIC_ARN';

export type Publish = (topicArn: string, subject: string, message: string) => Promise<unknown>;

/**
 * Publishes a report to the ops topic and tells whether it went out. It never throws: a report
 * follows outcomes already decided (messages acknowledged, handed back, posted), and failing the
 * invocation for it would redeliver what was done. A missing OPS_TOPIC_ARN (a packaging defect) is
 * therefore logged with the report's subject, by the same error `requiredVariable` gives, rather than
 * thrown.
 */
export async function tellOps(
  report: OpsReport,
  publish: Publish = snsPublish,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  try {
    await publish(requiredVariable(OPS_TOPIC_VARIABLE, 'the ops topic ARN', env), report.subject, report.message);
    return true;
  } catch (error) {
    const { name, message } = describeThrown(error);
    logger.error('could not publish to the ops topic; the report was only logged', {
      subject: report.subject,
      errorName: name,
      errorMessage: message,
    });
    return false;
  }
}
