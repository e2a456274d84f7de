import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { logger } from '../../src/lambda/logger.ts';
import { tellOps } from '../../src/lambda/ops-topic.ts';

const OPS = 'arn:aws:sns:us-east-1:123456789012:autotap-dev-ops';
const report = { subject: 'autotap: 2 detection(s) parked', message: 'body' };

afterEach(() => {
  jest.restoreAllMocks();
});

describe('tellOps', () => {
  test('publishes the report to the topic OPS_TOPIC_ARN names', async () => {
    const published: string[][] = [];
    const ok = await tellOps(report, async (...args) => void published.push(args), { OPS_TOPIC_ARN: OPS });
    expect(ok).toBe(true);
    expect(published).toEqual([[OPS, report.subject, report.message]]);
  });

  test('without OPS_TOPIC_ARN: nothing published, the variable and the subject logged, nothing thrown', async () => {
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const publish = jest.fn(async () => undefined);
    expect(await tellOps(report, publish, {})).toBe(false);
    expect(publish).not.toHaveBeenCalled();
    expect(errors).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({
        subject: report.subject,
        errorName: 'ConfigError',
        errorMessage: expect.stringContaining('OPS_TOPIC_ARN: not set'),
      }),
    );
  });

  test('a publish that fails is logged, not thrown: the batch it reports on is already settled', async () => {
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
    expect(await tellOps(report, async () => Promise.reject(throttled), { OPS_TOPIC_ARN: OPS })).toBe(false);
    expect(errors).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ errorName: 'ThrottledException' }),
    );
  });
});
