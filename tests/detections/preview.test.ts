import { previewDetections } from '../../src/detections/preview.ts';
import { decideLifecycle } from '../../src/detections/lifecycle.ts';
import { APPLIANCE_URL, ICMP_TUNNEL, rawSamples, sample } from './fixtures/samples.ts';

describe('previewDetections', () => {
  it('shows what the demo samples would send', () => {
    const preview = previewDetections(rawSamples(), { applianceUrl: APPLIANCE_URL, minRiskScore: 30 });
    expect(preview.detections.map((d) => d.id)).toEqual(['4294967311', '90215', '90230', '90244']);
    expect(preview.rejected).toEqual([]);
    expect(preview.decisions.map((d) => [d.id, d.event, d.notify])).toEqual([
      ['4294967311', 'new', true],
      ['90215', 'new', true],
      ['90230', 'new', false],
      ['90244', 'new', true],
    ]);
    expect(preview.sns.detections.flat()).toHaveLength(4);
    expect(preview.sns.email.flat().map((e) => e.Subject)).toEqual([
      '[autotap][HIGH 85] ICMP Tunnel: 10.0.1.7 -> 175.16.199.0 +1',
      '[autotap][MEDIUM 53] RDP Brute Force: 10.0.2.14 -> 10.0.3.5',
      '[autotap][HIGH 80] Hacking Tools Detected - Nmap: web-01.internal.example.com -> 10.0.4.30',
    ]);
    expect(preview.email.map((e) => e.subject)).toEqual(preview.sns.email.flat().map((e) => e.Subject));
    expect(preview.slack).toHaveLength(3);
    expect(preview.slack.map((s) => s.at)).toEqual([
      preview.slack[0]!.at,
      preview.slack[0]!.at + 1000,
      preview.slack[0]!.at + 2000,
    ]);
    expect(preview.records).toHaveLength(4);
    expect(JSON.stringify(preview)).not.toMatch(/undefined/);
  });

  it('shows exactly what would be sent: trimmed to fit, neutralised, linked only to the appliance', () => {
    const [raw] = rawSamples();
    const hostile = {
      ...raw,
      title: `Tunnel\r\nBcc: victim@example.com \u202Egnp.exe ${'x'.repeat(300_000)}`,
      url: 'https://evil.example/extrahop/#/detections/detail/1',
      participants: [
        {
          role: 'offender',
          object_type: 'device',
          object_id: 1,
          hostname: 'db\nOpen in ExtraHop: https://evil.example',
        },
      ],
    };
    const preview = previewDetections([hostile], { applianceUrl: APPLIANCE_URL, minRiskScore: 30 });
    const [entry] = preview.sns.email.flat();
    // The e-mail shown is the one published, byte for byte.
    expect(preview.email[0]).toEqual({ subject: entry!.Subject, body: entry!.Message });
    expect(Buffer.byteLength(entry!.Message)).toBeLessThanOrEqual(262_144);
    expect(preview.detections[0]!.title).toMatch(/^Tunnel Bcc: victim@example\.com gnp\.exe x+\.\.\. \(truncated\)$/);
    expect(entry!.Message).not.toMatch(/^Bcc:|^Open in ExtraHop: https:\/\/evil/m);
    expect(entry!.Message.match(/^Open in ExtraHop: .*$/gm)).toEqual([
      `Open in ExtraHop: ${APPLIANCE_URL}/extrahop/#/detections/detail/${preview.detections[0]!.id}`,
    ]);
    // The host name's text stays on its own line of the Offender field, and is no link.
    expect(JSON.stringify(preview.slack)).toContain('"*Offender*\\ndb Open in ExtraHop: https://evil.example"');
    expect(JSON.stringify(preview.slack)).not.toContain('<https://evil.example');
    expect(JSON.stringify(preview)).not.toMatch(/\u202e|\u202E/);
  });

  it('is reproducible: same input, same output', () => {
    expect(JSON.stringify(previewDetections(rawSamples()))).toBe(JSON.stringify(previewDetections(rawSamples())));
  });

  it('keeps good detections next to rejected ones', () => {
    const preview = previewDetections([rawSamples()[0], { id: 9, type: 'x' }]);
    expect(preview.detections).toHaveLength(1);
    expect(preview.rejected).toEqual([{ index: 1, id: '9', error: expect.stringContaining('risk_score: expected') }]);
  });

  it('sees a repeated delivery in one body as stale and an update as an escalation', () => {
    const first = rawSamples()[ICMP_TUNNEL]!;
    const update = {
      ...first,
      mod_time: (first.mod_time as number) + 1000,
      participants: [
        ...(first.participants as object[]),
        { role: 'victim', object_type: 'ipaddr', object_value: '175.16.199.9' },
      ],
    };
    const preview = previewDetections([update, first, first]);
    expect(preview.decisions.map((d) => d.event)).toEqual(['new', 'stale', 'escalated']);
    expect(preview.sns.detections.flat()).toHaveLength(2);
    expect(preview.email.map((e) => e.subject)).toEqual([
      expect.stringMatching(/^\[autotap\]\[HIGH 85\]/),
      expect.stringMatching(/^\[autotap\]\[ESCALATED HIGH 85\]/),
    ]);
  });

  it('previews updates against stored records', () => {
    const d = sample(ICMP_TUNNEL);
    const stored = decideLifecycle(
      undefined,
      { ...d, modTime: d.modTime - 1000, riskScore: 40, severity: 'medium' },
      { minRiskScore: 30, escalationDelta: 20, notifyOnClose: false },
      0,
    ).record;
    const preview = previewDetections(rawSamples()[ICMP_TUNNEL], { previous: [stored] });
    expect(preview.decisions[0]).toMatchObject({
      event: 'escalated',
      notify: true,
      reasons: ['risk 40 -> 85: medium -> high'],
    });
  });

  it('renders Amazon Q notifications when asked', () => {
    const preview = previewDetections(rawSamples(), { slackFormat: 'amazon-q' });
    expect(preview.slack.map((s) => (s.message as { metadata: { threadId: string } }).metadata.threadId)).toEqual([
      'autotap-detection-4294967311',
      'autotap-detection-90215',
      'autotap-detection-90244',
    ]);
  });

  it('folds a burst into a roll-up', () => {
    const burst = Array.from({ length: 60 }, (_, i) => ({ ...rawSamples()[ICMP_TUNNEL], id: 5000 + i }));
    const preview = previewDetections(burst, { applianceUrl: APPLIANCE_URL });
    expect(preview.slack).toHaveLength(5);
    expect((preview.slack[4]!.message as { text: string }).text).toMatch(/^56 detections \(56 new\): 56 high/);
    expect(preview.sns.email.map((b) => b.length)).toEqual([10, 10, 10, 10, 10, 10]);
  });
});
