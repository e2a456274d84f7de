import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectionsSection, mirroringConfig } from '../../src/config/environment.ts';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.ts';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as Error).name).toBe('ConfigError');
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('loads the shipped dev stage with its defaults', () => {
    const config = loadConfigFile(new URL('../../config/dev.yml', import.meta.url).pathname);
    expect(config.mirroring.crossAz).toBe('prefer-same');
    expect(config.mirroring.scope.excludeTags).toEqual({ 'autotap:mirror': 'false' });
    expect(config.mirroring.sessionNumber).toEqual({ preferred: 1, min: 1, max: 32766 });
  });

  it('names the field that is wrong', () => {
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'nope', targets: [{ id: 'tmt-01' }] } }))).toContain(
      'mirroring.filterId: expected an id like tmf-',
    );
    expect(
      messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01', maxSources: 7 }] } })),
    ).toContain('mirroring.targets[0].maxSources: expected 10 or 100');
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01' } }))).toContain(
      'mirroring.targets: expected at least one entry',
    );
    expect(
      messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }], crossAz: 'any' } })),
    ).toContain('mirroring.crossAz');
    expect(
      messageOf(() =>
        parseConfig({
          mirroring: {
            filterId: 'tmf-01',
            targets: [{ id: 'tmt-01' }],
            sessionNumber: { preferred: 5, min: 6, max: 9 },
          },
        }),
      ),
    ).toContain('mirroring.sessionNumber');
    expect(
      messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }], tpyo: 1 } })),
    ).toContain('tpyo');
  });

  it('reports a missing file, bad YAML and a bad environment variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autotap-config-'));
    expect(messageOf(() => loadConfigFile(join(dir, 'prod.yml')))).toContain('not found');
    writeFileSync(join(dir, 'bad.yml'), 'mirroring: [unclosed');
    expect(messageOf(() => loadConfigFile(join(dir, 'bad.yml')))).toContain('not valid YAML');
    expect(messageOf(() => mirroringConfig({}))).toContain('AUTOTAP_CONFIG: not set');
    expect(messageOf(() => detectionsSection({ AUTOTAP_CONFIG: '{' }))).toContain('not valid JSON');
    expect(messageOf(() => mirroringConfig({ AUTOTAP_CONFIG: '{"mirroring":{"filterId":"nope"}}' }))).toContain(
      'AUTOTAP_CONFIG: mirroring.filterId',
    );
    expect(ConfigError.name).toBe('ConfigError');
  });
});

const MIRRORING = { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }] };
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/appliance-AbCdEf';
const withDetections = (detections: Record<string, unknown>) => parseConfig({ mirroring: MIRRORING, detections });

describe('schedule expressions, as EventBridge documents them', () => {
  const schedule = (expression: string) => () =>
    parseConfig({ mirroring: { ...MIRRORING, reconcileSchedule: expression } });
  const pollSchedule = (expression: string) => () => withDetections({ poll: { schedule: expression } });

  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(6 hours)',
    'rate(1 day)',
    'cron(0 */6 * * ? *)',
    'cron(15 10 ? * 6L 2027-2029)',
    'cron(0/15 * ? * MON-FRI *)',
    'cron(0 9 L * ? *)',
    'cron(0 9 3W * ? *)',
    'cron(0 8 ? JAN,JUL 3#2 *)',
    'cron(5,35 14 1-15 * ? 2030)',
  ])('accepts %s', (expression) => {
    expect(schedule(expression)().mirroring.reconcileSchedule).toBe(expression);
    expect(pollSchedule(expression)().detections!.poll.schedule).toBe(expression);
  });

  it.each([
    ['cron(bogus)', 'expected 6 fields'],
    ['cron(0 */6 * * *)', 'expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got 5'],
    ['cron(61 * * * ? *)', 'Minutes field "61"'],
    ['cron(0 24 * * ? *)', 'Hours field "24"'],
    ['cron(0 0 32 * ? *)', 'Day-of-month field "32"'],
    ['cron(0 0 ? FOO * *)', 'Month field "FOO"'],
    ['cron(0 0 ? * 8 *)', 'Day-of-week field "8"'],
    ['cron(0 0 ? * MON/2 *)', 'Day-of-week field "MON/2"'],
    ['cron(0 0 ? * 1 1969)', 'Year field "1969"'],
    ['cron(0 0 * * * *)', 'exactly one of them must be ?'],
    ['cron(0 0 1 * 2 *)', 'exactly one of them must be ?'],
    ['cron(0 0 ? * 3#1,6#3 *)', 'a # expression must stand alone'],
    ['cron(? 0 1 * ? *)', 'Minutes field "?"'],
    ['rate(0 minutes)', 'positive whole number'],
    ['rate(1 hours)', 'singular unit'],
    ['rate(5 hour)', 'plural unit'],
    ['rate(5 weeks)', 'unit minute(s), hour(s) or day(s)'],
    ['every 5 minutes', 'expected an EventBridge schedule'],
  ])('refuses %s, naming the field and what is wrong', (expression, problem) => {
    expect(messageOf(schedule(expression))).toContain('mirroring.reconcileSchedule: ');
    expect(messageOf(schedule(expression))).toContain(problem);
    expect(messageOf(pollSchedule(expression))).toContain('detections.poll.schedule: ');
    expect(messageOf(pollSchedule(expression))).toContain(problem);
  });
});

describe('the appliance URL', () => {
  const appliance = (url: string) => () => withDetections({ appliance: { url, secretArn: SECRET } });

  it('takes https, and http only on the loopback interface (local stand-ins)', () => {
    expect(appliance('https://extrahop.example.com')().detections!.appliance!.url).toBe('https://extrahop.example.com');
    expect(appliance('http://127.0.0.1:8443')().detections!.appliance!.url).toBe('http://127.0.0.1:8443');
  });

  it('refuses http and credentials in the URL, without echoing them', () => {
    expect(messageOf(appliance('http://extrahop.example.com'))).toContain(
      'detections.appliance.url: expected an https URL (got http)',
    );
    const message = messageOf(appliance('https://admin:hunter2@extrahop.example.com'));
    expect(message).toContain('detections.appliance.url: expected a URL without user:password@');
    expect(message).not.toContain('hunter2');
    expect(messageOf(appliance('https://admin@extrahop.example.com'))).toContain('without user:password@');
  });
});

describe('e-mail addresses are compared without case', () => {
  it('refuses the same address twice with different filters, naming both entries and both filters', () => {
    const message = messageOf(() =>
      withDetections({
        minRiskScore: 30,
        emails: [
          { address: 'soc@example.com' },
          { address: 'ciso@example.com' },
          { address: 'SOC@Example.com', minRiskScore: 80 },
        ],
      }),
    );
    expect(message).toContain(
      'detections.emails[2]: "SOC@Example.com" is the same address as emails[0] ("soc@example.com")',
    );
    expect(message).toContain('with a different filter (minRiskScore 80 here, minRiskScore 30 there)');
  });

  it('refuses the same address twice with the same filter, and in opsEmails', () => {
    expect(
      messageOf(() => withDetections({ emails: [{ address: 'a@example.com' }, { address: 'A@example.com' }] })),
    ).toContain(
      'detections.emails[1]: "A@example.com" is the same address as emails[0] ("a@example.com"); addresses are compared without case',
    );
    expect(
      messageOf(() =>
        parseConfig({ mirroring: MIRRORING, notifications: { opsEmails: ['ops@example.com', 'Ops@Example.com'] } }),
      ),
    ).toContain(
      'notifications.opsEmails[1]: "Ops@Example.com" is the same address as opsEmails[0] ("ops@example.com")',
    );
  });

  it('keeps distinct addresses', () => {
    expect(
      withDetections({ emails: [{ address: 'a@example.com' }, { address: 'b@example.com', minRiskScore: 80 }] })
        .detections!.emails,
    ).toHaveLength(2);
  });
});

describe('the webhook concurrency cap', () => {
  it('defaults to a small reserved concurrency and takes whole numbers from 1', () => {
    expect(withDetections({}).detections!.webhook.reservedConcurrency).toBe(10);
    expect(
      withDetections({ webhook: { enabled: true, secretArn: SECRET, reservedConcurrency: 3 } }).detections!.webhook
        .reservedConcurrency,
    ).toBe(3);
    expect(
      messageOf(() => withDetections({ webhook: { enabled: true, secretArn: SECRET, reservedConcurrency: 0 } })),
    ).toContain('detections.webhook.reservedConcurrency');
    expect(
      messageOf(() => withDetections({ webhook: { enabled: true, secretArn: SECRET, reservedConcurrency: 2.5 } })),
    ).toContain('detections.webhook.reservedConcurrency');
  });
});

describe("reserved concurrency against the account's Lambda quota", () => {
  const SLACK = { secretArn: SECRET };
  const stage = (reservedConcurrency: number, extra: Record<string, unknown> = {}) =>
    parseConfig({
      mirroring: MIRRORING,
      detections: { webhook: { enabled: true, secretArn: SECRET, reservedConcurrency }, slack: SLACK },
      ...extra,
    });

  it('takes the webhook up to the quota minus the 100 Lambda keeps unreserved, minus Slack’s 2', () => {
    expect(stage(898).detections!.webhook.reservedConcurrency).toBe(898);
    expect(stage(898).quotas.lambdaConcurrentExecutions).toBe(1000);
  });

  it('refuses one more, naming the field, the total, the quota and the largest value allowed', () => {
    const message = messageOf(() => stage(899));
    expect(message).toContain('detections.webhook.reservedConcurrency: 899 and the Slack notifier');
    expect(message).toContain('reserve 901 of the account');
    expect(message).toContain('1000 concurrent executions (quotas.lambdaConcurrentExecutions)');
    expect(message).toContain('expected at most 898');
    expect(message).toContain('https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html');
  });

  it('follows a configured quota, and refuses a quota too small even for Slack alone', () => {
    expect(() => stage(4000, { quotas: { lambdaConcurrentExecutions: 5000 } })).not.toThrow();
    expect(messageOf(() => stage(31, { quotas: { lambdaConcurrentExecutions: 131 } }))).toContain(
      'expected at most 29',
    );
    const slackOnly = () =>
      parseConfig({ mirroring: MIRRORING, detections: { slack: SLACK }, quotas: { lambdaConcurrentExecutions: 101 } });
    expect(messageOf(slackOnly)).toContain('quotas.lambdaConcurrentExecutions: the stage reserves 2');
    expect(messageOf(slackOnly)).toContain('expected at least 102');
  });

  it('counts nothing for a disabled webhook or disabled detections', () => {
    const disabled = { enabled: false, secretArn: SECRET, reservedConcurrency: 1000 };
    expect(() => parseConfig({ mirroring: MIRRORING, detections: { webhook: disabled } })).not.toThrow();
    expect(() =>
      parseConfig({
        mirroring: MIRRORING,
        detections: { enabled: false, webhook: { ...disabled, enabled: true } },
      }),
    ).not.toThrow();
  });
});

describe('e-mail subscriptions against SNS’s filter policies per topic', () => {
  const recipients = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ address: `soc${i}@example.com`, minRiskScore: 50 }));

  it('takes 200 recipients, each a subscription with a filter policy', () => {
    expect(withDetections({ emails: recipients(200) }).detections!.emails).toHaveLength(200);
  });

  it('refuses 201, citing the SNS quota and the configurable figure', () => {
    const message = messageOf(() => withDetections({ emails: recipients(201) }));
    expect(message).toContain('detections.emails: 201 recipients');
    expect(message).toContain('SNS allows 200 filter policies per topic (quotas.snsFilterPoliciesPerTopic');
    expect(message).toContain('https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html');
  });

  it('follows a raised quota', () => {
    expect(() =>
      parseConfig({
        mirroring: MIRRORING,
        detections: { emails: recipients(201) },
        quotas: { snsFilterPoliciesPerTopic: 300 },
      }),
    ).not.toThrow();
  });
});

describe('mirroring.overrides', () => {
  const withOverrides = (overrides: unknown[]) =>
    parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }], overrides } });

  it('accepts a filter, a packet length, or both, per tag match', () => {
    const config = withOverrides([
      { name: 'dns-http-only', tags: { tier: 'web' }, filterId: 'tmf-02' },
      { name: 'headers', tags: { pci: '*' }, packetLength: 128 },
      { name: 'whole', tags: { capture: 'full' }, packetLength: null, filterId: 'tmf-03' },
    ]);
    expect(config.mirroring.overrides.map((o) => o.name)).toEqual(['dns-http-only', 'headers', 'whole']);
  });

  it.each([
    [[{ name: 'a', tags: { t: 'x' } }], 'mirroring.overrides[0]: expected filterId or packetLength'],
    [[{ name: 'a', tags: {}, filterId: 'tmf-02' }], 'mirroring.overrides[0].tags: expected at least one tag'],
    [[{ name: 'a', tags: { t: 'x' }, packetLength: 8501 }], 'mirroring.overrides[0].packetLength'],
    [[{ name: 'a', tags: { t: 'x' }, packetLength: 0 }], 'mirroring.overrides[0].packetLength'],
    [[{ name: 'a', tags: { t: 'x' }, filterId: 'sg-02' }], 'mirroring.overrides[0].filterId: expected an id like tmf-'],
    [[{ name: 'Web Tier', tags: { t: 'x' }, filterId: 'tmf-02' }], 'mirroring.overrides[0].name: expected a name like'],
    [
      [
        { name: 'a', tags: { t: 'x' }, filterId: 'tmf-02' },
        { name: 'a', tags: { t: 'y' }, filterId: 'tmf-03' },
      ],
      'mirroring.overrides[1].name: override name a is used twice',
    ],
    [
      Array.from({ length: 21 }, (_, i) => ({ name: `o${i}`, tags: { t: `${i}` }, packetLength: 64 })),
      'mirroring.overrides: expected at most 20 overrides',
    ],
  ])('refuses %j naming the field', (overrides, message) => {
    expect(messageOf(() => withOverrides(overrides))).toContain(message);
  });
});
