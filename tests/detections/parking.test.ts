import { describe, expect, test } from '@jest/globals';
import { channelDestination, parkedReport, rejectedReport } from '../../src/detections/ingest/parking.ts';

describe('rejectedReport', () => {
  test('one line per invalid detection, with its id when it had one', () => {
    const report = rejectedReport([
      { messageId: 'm-1', id: '4294967297', error: 'risk_score: expected a number' },
      { messageId: 'm-2', error: '(root): the message body is not JSON' },
    ]);
    expect(report.subject).toBe('autotap: 2 invalid detection(s) dropped');
    expect(report.message.split('\n').slice(-2)).toEqual([
      '- message m-1, detection 4294967297: risk_score: expected a number',
      '- message m-2: (root): the message body is not JSON',
    ]);
  });
});

describe('parkedReport', () => {
  test('names the channel that refused each update, and links the detection on the appliance', () => {
    const report = parkedReport(
      [{ id: '42', modTime: 7, destination: channelDestination('email'), reason: 'InvalidParameter: too long' }],
      'https://extrahop.example.com',
    );
    expect(report.subject).toBe('autotap: 1 detection(s) parked');
    expect(report.message).toContain(
      '- detection 42 (mod_time 7): refused by the email topic: InvalidParameter: too long',
    );
    expect(report.message).toContain('https://extrahop.example.com/');
  });

  test('each channel has its own words', () => {
    expect(new Set(['detections', 'email', 'slack'].map((c) => channelDestination(c as 'email')))).toEqual(
      new Set(['the detections topic', 'the email topic', 'the Slack queue']),
    );
  });
});
