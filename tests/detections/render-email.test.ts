import fc from 'fast-check';
import { emailSubject, MAX_SUBJECT_LENGTH, renderEmail, toAsciiLine } from '../../src/detections/render-email.ts';
import { descriptionToPlainText } from '../../src/detections/description.ts';
import type { LifecycleEvent } from '../../src/detections/lifecycle.ts';
import type { Detection } from '../../src/detections/model.ts';
import { APPLIANCE_URL, ICMP_TUNNEL, ISO_TIMES, LOW_RISK, RDP_BRUTE_FORCE, sample } from './fixtures/samples.ts';

const PRINTABLE_ASCII_LINE = /^[\x20-\x7E]*$/;
const events: LifecycleEvent[] = ['new', 'escalated', 'closed', 'updated', 'stale'];

describe('emailSubject', () => {
  it('reads like [autotap][HIGH 85] ICMP Tunnel: offender -> victims', () => {
    expect(emailSubject(sample(ICMP_TUNNEL), 'new')).toBe(
      '[autotap][HIGH 85] ICMP Tunnel: 10.0.1.7 -> 175.16.199.0 +1',
    );
    expect(emailSubject(sample(RDP_BRUTE_FORCE), 'new')).toBe(
      '[autotap][MEDIUM 53] RDP Brute Force: 10.0.2.14 -> 10.0.3.5',
    );
  });

  it('leads with the event for escalations and closes', () => {
    expect(emailSubject(sample(ICMP_TUNNEL), 'escalated')).toMatch(/^\[autotap\]\[ESCALATED HIGH 85\] ICMP Tunnel/);
    expect(emailSubject(sample(ICMP_TUNNEL), 'closed')).toMatch(/^\[autotap\]\[CLOSED HIGH 85\] /);
  });

  it('names a device without an address by its id', () => {
    expect(emailSubject(sample(LOW_RISK), 'new')).toBe(
      '[autotap][LOW 18] Unusual SMB Share Access: device 31 -> device 32',
    );
  });

  it('transliterates non-ASCII titles', () => {
    expect(emailSubject(sample(ISO_TIMES), 'new')).toContain('Hacking Tools Detected - Nmap:');
    expect(toAsciiLine('Zugriff auf Freigabe über café — „Straße“ 東京')).toBe(
      'Zugriff auf Freigabe uber cafe - Strasse"',
    );
  });

  it('truncates with ASCII dots', () => {
    const subject = emailSubject({ ...sample(ICMP_TUNNEL), title: 'Very long title '.repeat(20) }, 'escalated');
    expect(subject.length).toBe(MAX_SUBJECT_LENGTH);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('is under 100 printable ASCII characters on one line, whatever the title and participants', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.constantFrom(...events),
        (title, host, event) => {
          const d: Detection = { ...sample(ICMP_TUNNEL), title };
          d.participants = [{ role: 'offender', objectType: 'device', hostname: host }, ...d.participants.slice(1)];
          const subject = emailSubject(d, event);
          expect(subject.length).toBeLessThan(100);
          expect(subject).toMatch(PRINTABLE_ASCII_LINE);
          expect(subject.startsWith('[autotap][')).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('renderEmail', () => {
  const leftovers = (body: string) => {
    expect(body).not.toMatch(/undefined|null|NaN|\[object Object\]/);
    expect(body).not.toContain('**');
    expect(body).not.toContain('`');
    expect(body).not.toMatch(/^\s*#/m);
    expect(body).not.toMatch(/\]\(/);
    expect(body).not.toContain('\\.');
  };

  it.each([
    ['icmp tunnel', ICMP_TUNNEL],
    ['rdp brute force', RDP_BRUTE_FORCE],
    ['low risk', LOW_RISK],
    ['ISO times', ISO_TIMES],
  ])('%s: no undefined, null or Markdown left', (_, index) => {
    for (const event of events) leftovers(renderEmail(sample(index), event).body);
  });

  it('says what, who, when, MITRE, the description and the link', () => {
    const { body } = renderEmail(sample(ICMP_TUNNEL), 'new');
    expect(body).toContain('  Type: icmp_tunnel');
    expect(body).toContain('  Risk: 85 (high)');
    expect(body).toContain('  Categories: sec, sec.command, sec.exfil');
    expect(body).toContain('  Offender: web-01.internal.example.com (10.0.1.7)');
    expect(body).toContain('  Victim: 175.16.199.0 (external)');
    expect(body).toContain('  Victim: 175.16.199.1 (external)');
    expect(body).toContain('  Started: 2024-06-16T08:00:00.000Z');
    expect(body).toContain('  Ended: ongoing');
    expect(body).toContain('  Tactic TA0011 Command and Control (https://attack.mitre.org/tactics/TA0011/)');
    expect(body).toContain('  Technique T1095 Non-Application Layer Protocol');
    expect(body).toContain(
      '10.0.1.7 (https://extrahop.example.com/extrahop/#/metrics/devices/a1b2c3d4e5f60000.0242ac110002/overview) sent ICMP',
    );
    expect(body).toContain('hide command-and-control traffic');
    expect(body).toContain('- Block outbound ICMP echo requests with payloads larger than 64 bytes.');
    expect(body).toContain('Open in ExtraHop: https://extrahop.example.com/extrahop/#/detections/detail/4294967311');
  });

  it('makes relative links absolute with the appliance URL and unescapes dots', () => {
    const { body } = renderEmail(sample(ISO_TIMES), 'new');
    expect(body).toContain(
      '10.0.1.7 (https://extrahop.example.com/extrahop/#/metrics/devices/a1b2c3d4e5f60000.0242ac110002/overview) ran a port scan with Nmap',
    );
    expect(body).toContain(
      'db-03.internal (https://extrahop.example.com/extrahop/#/metrics/devices/a1b2c3d4e5f60000.0242ac110030/overview).',
    );
    expect(body).toContain('See nmap -sS in the detection catalog (https://docs.extrahop.com/current/detections/).');
    expect(body).toContain('  Ticket: INC-20931');
  });

  it('lists at most 20 victims and counts the rest', () => {
    const d = sample(ICMP_TUNNEL);
    d.participants = Array.from({ length: 45 }, (_, i) => ({
      role: 'victim',
      objectType: 'ipaddr',
      ipAddress: `10.9.0.${i}`,
    }));
    const { body } = renderEmail(d, 'new');
    expect(body.match(/ {2}Victim: /g)).toHaveLength(20);
    expect(body).toContain('... and 25 more victims');
    expect(body).not.toContain('WHO\n  Offender');
  });

  it('explains an escalation with its reasons', () => {
    expect(renderEmail(sample(RDP_BRUTE_FORCE), 'escalated', ['1 new victim']).body.split('\n')[1]).toBe(
      'This detection escalated. (1 new victim)',
    );
  });

  it.each([
    ['a heading after an empty link', ['[', '](', ')', '# ']],
    ['bold markers as a link label', ['[', '**', '](', ')']],
    ['a star label next to a star', ['[', '*', '](', 'x', ')', '*']],
    ['a backtick as a link label', ['[', '`', '](', 'x', ')']],
    ['stars in a link target', ['[', '](', 'https://h/', '**', ')']],
    ['an indented heading at the start', ['    ', '# ', 'a']],
  ])('leaves no Markdown markers: %s', (_, parts) => {
    const text = descriptionToPlainText(parts.join(''), APPLIANCE_URL);
    expect(text).not.toContain('**');
    expect(text).not.toContain('`');
    expect(text).not.toMatch(/^#{1,6}( |$)/m);
    expect(text).not.toMatch(/[\uE000-\uE002]/);
  });

  it('keeps the text around a link that renders as nothing', () => {
    expect(descriptionToPlainText('[]()# Heading', APPLIANCE_URL)).toBe('Heading');
    expect(descriptionToPlainText('See [](https://h/a*b)', APPLIANCE_URL)).toBe('See https://h/a%2Ab');
  });

  it('leaves no Markdown markers in arbitrary descriptions', () => {
    const markdownish = fc.array(
      fc.constantFrom('**', '`', '# ', '\n## ', '[', '](', ')', '#/x', '\\.', 'a', ' ', '\n', '*', '_', 'https://h/'),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(markdownish, (parts) => {
        const text = descriptionToPlainText(parts.join(''), APPLIANCE_URL);
        expect(text).not.toContain('**');
        expect(text).not.toContain('`');
        expect(text).not.toMatch(/^#{1,6}( |$)/m);
        expect(text).not.toMatch(/[\uE000-\uE002]/);
      }),
      { numRuns: 500 },
    );
  });
});
