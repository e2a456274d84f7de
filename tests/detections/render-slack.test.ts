import fc from 'fast-check';
import {
  renderAmazonQ,
  renderSlack,
  renderSlackRollup,
  SLACK_LIMITS,
  truncateMrkdwn,
  type SlackMessage,
} from '../../src/detections/render-slack.ts';
import { descriptionToSlack } from '../../src/detections/description.ts';
import { severityOf, type Detection, type Participant } from '../../src/detections/model.ts';
import { APPLIANCE_URL, ICMP_TUNNEL, ISO_TIMES, LOW_RISK, RDP_BRUTE_FORCE, sample } from './fixtures/samples.ts';

/** Every Block Kit limit the renderer promises, checked on the output. */
function expectWithinLimits(message: SlackMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  const json = JSON.stringify(message);
  expect(json).not.toMatch(/undefined|"null"|NaN/);
  for (const block of message.blocks) {
    switch (block.type) {
      case 'header':
        expect(block.text.type).toBe('plain_text');
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
        expect(block.text.text.length).toBeGreaterThan(0);
        break;
      case 'section':
        expect(block.text !== undefined || block.fields !== undefined).toBe(true);
        if (block.text) {
          expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
          expect(block.text.text.trim().length).toBeGreaterThan(0);
        }
        if (block.fields) {
          expect(block.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
          for (const f of block.fields) {
            expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
            expect(f.text.trim().length).toBeGreaterThan(0);
          }
        }
        break;
      case 'context':
        expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
        for (const e of block.elements) expect(e.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        break;
      case 'actions':
        for (const e of block.elements) {
          expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
          expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.url);
          expect(e.action_id.length).toBeLessThanOrEqual(255);
        }
        break;
      case 'divider':
        break;
    }
  }
}

function detectionWithRisk(index: number, riskScore: number, id = String(1000 + index)): Detection {
  const d = sample(index % 4);
  return {
    ...d,
    id,
    riskScore,
    severity: severityOf(riskScore),
    url: `${APPLIANCE_URL}/extrahop/#/detections/detail/${id}`,
  };
}

describe('renderSlack', () => {
  it('builds header, fields, description, MITRE context and a link button', () => {
    const message = renderSlack(sample(ICMP_TUNNEL), 'new');
    expect(message.text).toBe('[HIGH 85] ICMP Tunnel: 10.0.1.7 -&gt; 175.16.199.0 +1');
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context', 'actions']);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: [HIGH 85] ICMP Tunnel', emoji: true },
    });
    const fields = (message.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
      '*Risk*\n85 (high)',
      '*Type*\nicmp_tunnel',
      '*Offender*\nweb-01.internal.example.com (10.0.1.7)',
      '*Victims*\n175.16.199.0 (external)\n175.16.199.1 (external)',
      '*Started (UTC)*\n2024-06-16T08:00:00.000Z (ongoing)',
      '*Status*\nopen',
    ]);
    const description = (message.blocks[2] as { text: { text: string } }).text.text;
    expect(description).toContain(
      '<https://extrahop.example.com/extrahop/#/metrics/devices/a1b2c3d4e5f60000.0242ac110002/overview|10.0.1.7> sent ICMP',
    );
    expect(description).toContain('*command-and-control*');
    expect(description).not.toContain('**');
    expect(description).not.toContain('](');
    expect(JSON.stringify(message.blocks[3])).toContain(
      '<https://attack.mitre.org/techniques/T1095/|T1095 Non-Application Layer Protocol>',
    );
    expect(message.blocks[4]).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', url: 'https://extrahop.example.com/extrahop/#/detections/detail/4294967311' }],
    });
    expectWithinLimits(message);
  });

  it('converts relative links to absolute Slack links', () => {
    const description = JSON.stringify(renderSlack(sample(ISO_TIMES), 'escalated').blocks[2]);
    expect(description).toContain(
      '<https://extrahop.example.com/extrahop/#/metrics/devices/a1b2c3d4e5f60000.0242ac110030/overview|db-03.internal>',
    );
    expect(description).toContain('`nmap -sS`');
  });

  it('says - for a missing side and drops the MITRE block when there is none', () => {
    const message = renderSlack({ ...sample(LOW_RISK), participants: [] }, 'new');
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(JSON.stringify(message)).toContain('*Offender*\\n-');
    expectWithinLimits(message);
  });

  it('status field carries assignee and ticket', () => {
    expect(JSON.stringify(renderSlack(sample(RDP_BRUTE_FORCE), 'new'))).toContain(
      '*Status*\\nin progress, assigned to soc-analyst, ticket 48211',
    );
  });

  it('escapes &, < and > from the appliance', () => {
    const message = renderSlack(
      { ...sample(ICMP_TUNNEL), description: 'a <script> & [x](https://extrahop.example.com/?a=1&b=2)' },
      'new',
    );
    expect(JSON.stringify(message.blocks[2])).toContain(
      'a &lt;script&gt; &amp; <https://extrahop.example.com/?a=1&b=2|x>',
    );
  });

  it('respects every limit for one enormous detection', () => {
    const many: Participant[] = Array.from({ length: 500 }, (_, i) => ({
      role: i % 2 ? 'victim' : 'offender',
      objectType: 'device',
      hostname: `h${i}-${'x'.repeat(900)}`,
    }));
    const mitre = Array.from({ length: 200 }, (_, i) => ({
      id: `T${1000 + i}`,
      name: 'Technique name '.repeat(5),
      url: `https://attack.mitre.org/techniques/T${1000 + i}/`,
    }));
    const d: Detection = {
      ...sample(ICMP_TUNNEL),
      title: 'T'.repeat(400),
      description: '**bold** [link](https://example.com/a) '.repeat(400),
      participants: many,
      mitreTactics: mitre,
      mitreTechniques: mitre,
      url: `https://extrahop.example.com/${'p'.repeat(5000)}`,
    };
    const message = renderSlack(d, 'new');
    expectWithinLimits(message);
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    const description = (message.blocks[2] as { text: { text: string } }).text.text;
    expect(description.length).toBeGreaterThan(2900);
    expect(description.endsWith('...')).toBe(true);
  });

  it('respects every limit for huge inputs', () => {
    // Generated text may itself spell a word the limits check looks for as a sign of a missing field.
    const text = (options: fc.StringConstraints) => fc.string(options).filter((s) => !/undefined|null|NaN/.test(s));
    const participant = fc.record({
      role: fc.constantFrom('offender', 'victim'),
      objectType: fc.constant('device'),
      hostname: text({ unit: 'grapheme', maxLength: 3000 }),
      ipAddress: fc.ipV4(),
    }) as fc.Arbitrary<Participant>;
    fc.assert(
      fc.property(
        text({ unit: 'grapheme', minLength: 0, maxLength: 5000 }),
        text({ maxLength: 20000 }),
        fc.array(participant, { maxLength: 300 }),
        fc.array(
          fc.record({ id: text({ minLength: 1, maxLength: 50 }), name: text({ maxLength: 500 }), url: fc.webUrl() }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 99 }),
        (title, description, participants, mitre, riskScore) => {
          const d: Detection = {
            ...sample(ICMP_TUNNEL),
            title,
            description,
            participants,
            mitreTechniques: mitre,
            riskScore,
            severity: severityOf(riskScore),
          };
          expectWithinLimits(renderSlack(d, 'escalated'));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('truncateMrkdwn', () => {
  it('never cuts inside a link or leaves bold open', () => {
    const text = `${'x'.repeat(2990)} <https://example.com/very/long|label> *bold words here*`;
    const cut = truncateMrkdwn(text, 3000);
    expect(cut.length).toBeLessThanOrEqual(3000);
    expect(cut.endsWith('...')).toBe(true);
    expect(cut).not.toContain('<https');
    expect((cut.match(/\*/g) ?? []).length % 2).toBe(0);
  });
});

describe('descriptionToSlack', () => {
  it('turns Markdown links into <url|text> and **bold** into *bold*', () => {
    expect(descriptionToSlack('See [the docs](https://d.example/x) and **this**\\.', APPLIANCE_URL)).toBe(
      'See the docs (https://d.example/x) and *this*.',
    );
    expect(descriptionToSlack('See [the device](/extrahop/#/devices/1)', APPLIANCE_URL)).toBe(
      `See <${APPLIANCE_URL}/extrahop/#/devices/1|the device>`,
    );
    expect(descriptionToSlack('## Mitigation', APPLIANCE_URL)).toBe('*Mitigation*');
    expect(descriptionToSlack('[10\\.0\\.1\\.7](#/metrics/devices/1/overview)', APPLIANCE_URL)).toBe(
      '<https://extrahop.example.com/extrahop/#/metrics/devices/1/overview|10.0.1.7>',
    );
  });
});

describe('renderSlackRollup', () => {
  const burst = Array.from({ length: 200 }, (_, i) => detectionWithRisk(i, ((i * 37) % 99) + 1));

  it('summarizes 200 detections in one message within the limits', () => {
    const message = renderSlackRollup(burst, { new: 190, escalated: 10 });
    expectWithinLimits(message);
    const high = burst.filter((d) => d.severity === 'high').length;
    const medium = burst.filter((d) => d.severity === 'medium').length;
    const low = burst.filter((d) => d.severity === 'low').length;
    expect(high + medium + low).toBe(200);
    expect(message.text).toBe(`200 detections (190 new, 10 escalated): ${high} high, ${medium} medium, ${low} low`);
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: ':rotating_light: 200 detections (190 new, 10 escalated)' },
    });
  });

  it('lists the top N by risk, highest first, with links, and counts the rest', () => {
    const message = renderSlackRollup(burst, { new: 200 }, { top: 5 });
    const listed = message.blocks.filter((b) => b.type === 'section').slice(1) as { text: { text: string } }[];
    expect(listed).toHaveLength(5);
    const risks = listed.map((b) => Number(/\*(\d+)\*/.exec(b.text.text)?.[1]));
    const expected = [...burst]
      .map((d) => d.riskScore)
      .sort((a, b) => b - a)
      .slice(0, 5);
    expect(risks).toEqual(expected);
    for (const b of listed)
      expect(b.text.text).toMatch(
        /<https:\/\/extrahop\.example\.com\/extrahop\/#\/detections\/detail\/\d+\|Open in ExtraHop>/,
      );
    expect(JSON.stringify(message.blocks.at(-1))).toContain('and 195 more');
  });

  it('stays within 50 blocks however many are asked for', () => {
    expectWithinLimits(renderSlackRollup(burst, { new: 200 }, { top: 500 }));
  });
});

describe('renderAmazonQ', () => {
  it('produces the custom-notification schema with a per-detection thread', () => {
    const n = renderAmazonQ(sample(ICMP_TUNNEL), 'escalated');
    expect(Object.keys(n).sort()).toEqual(['content', 'metadata', 'source', 'version']);
    expect(n).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: '[ESCALATED HIGH 85] ICMP Tunnel',
        nextSteps: ['Investigate in ExtraHop: https://extrahop.example.com/extrahop/#/detections/detail/4294967311'],
      },
      metadata: {
        threadId: 'autotap-detection-4294967311',
        summary: '[ESCALATED HIGH 85] ICMP Tunnel: 10.0.1.7 -&gt; 175.16.199.0 +1',
      },
    });
    expect(Object.keys(n.metadata).sort()).toEqual(['summary', 'threadId']);
    expect(n.content.description).toContain('**Offender:** web-01.internal.example.com (10.0.1.7)');
    expect(n.content.description).toContain('**Victim:** 175.16.199.0, 175.16.199.1');
    expect(n.content.description).not.toMatch(/undefined|null/);
  });

  it('omits nextSteps when there is no link', () => {
    const { url: _url, ...noUrl } = sample(LOW_RISK);
    expect(renderAmazonQ(noUrl, 'new').content).not.toHaveProperty('nextSteps');
  });
});
