import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { DEFAULT_LEASE_MS } from '../../src/detections/ingest/process-batch.ts';
import { decideLifecycle, DEFAULT_LIFECYCLE_POLICY } from '../../src/detections/lifecycle.ts';
import { BIDI_CONTROLS, INVISIBLES, oneLine } from '../../src/detections/neutralize.ts';
import { normalizeDetection } from '../../src/detections/normalize.ts';
import {
  detectionsTopicEntry,
  emailTopicEntry,
  entryBytes,
  publishBatches,
  SNS_MAX_MESSAGE_BYTES,
  type DetectionMessage,
} from '../../src/detections/publish.ts';
import { renderEmail } from '../../src/detections/render-email.ts';
import { renderAmazonQ, renderSlack, SLACK_LIMITS } from '../../src/detections/render-slack.ts';
import { TRUNCATION_MARKER } from '../../src/detections/trim.ts';

const require = createRequire(import.meta.url);
// dynalite's own item-size rule, the one it refuses PutItem with beyond 400 KB.
const { itemSize } = require('dynalite/db/index.js') as { itemSize: (item: unknown) => number };
const DYNAMODB_MAX_ITEM_BYTES = 409_600;
const APPLIANCE = 'https://extrahop.example.com';

/** Text anything could put in a field: every code point, line breaks, bidi and zero-width characters, mentions and links. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom(
    '\r\nBcc: victim@example.com',
    '\u202Egnp.exe',
    'a\u200Bb',
    '<!channel>',
    '<!here>',
    '<@U024BE7LH>',
    '<http://evil.example|Open in ExtraHop>',
    '&<>',
    '\u2028Victim: x',
    '\u0000\u0085\u009B',
  ),
);
/** Some of it very long: up to ~350,000 characters. */
const field = fc
  .tuple(fc.array(hostile, { minLength: 1, maxLength: 4 }), fc.constantFrom(1, 1, 1, 500, 6_000))
  .map(([parts, times]) => parts.join('').repeat(times));

const rawDetection = fc.record({
  title: field,
  type: field,
  description: field,
  hostname: field,
  username: field,
  category: field,
  url: field,
  participants: fc.integer({ min: 0, max: 300 }),
  mitre: fc.integer({ min: 0, max: 300 }),
});

function build(g: typeof rawDetection extends fc.Arbitrary<infer T> ? T : never) {
  const participants = Array.from({ length: g.participants }, (_, i) => ({
    role: i % 2 ? 'victim' : 'offender',
    object_type: 'device',
    object_id: i,
    object_value: `10.0.${i % 256}.1`,
    hostname: g.hostname.slice(0, 2_000),
    username: g.username.slice(0, 2_000),
  }));
  const mitre = Array.from({ length: g.mitre }, (_, i) => ({
    id: `T${i}`,
    name: g.title.slice(0, 500),
    url: `https://attack.mitre.org/techniques/T${i}/`,
  }));
  return normalizeDetection(
    {
      id: 42,
      type: g.type || 'x',
      title: g.title,
      description: g.description,
      categories: ['sec', g.category],
      risk_score: 90,
      start_time: 1_000,
      mod_time: 2_000,
      participants: [
        { role: 'offender', object_type: 'device', object_id: 1, hostname: g.hostname, username: g.username },
        ...participants,
      ],
      mitre_techniques: mitre,
      url: g.url,
    },
    { applianceUrl: APPLIANCE },
  );
}

const FORBIDDEN = new RegExp(
  `${BIDI_CONTROLS.source}|${INVISIBLES.source}|[\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u2028\\u2029]`,
);

describe('every message fits every channel (generated detections)', () => {
  test('SNS entries, PublishBatch calls, the Slack queue body, Block Kit and the DynamoDB item stay within their limits; trimming shows', () => {
    fc.assert(
      fc.property(rawDetection, (g) => {
        const d = build(g);
        const machine = detectionsTopicEntry(d, 'new');
        const email = emailTopicEntry(d, 'new');
        expect(entryBytes(machine)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
        expect(entryBytes(email)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
        for (const batch of publishBatches([machine, { ...machine, Id: 'b' }, email, { ...email, Id: 'c' }])) {
          expect(batch.reduce((sum, e) => sum + entryBytes(e), 0)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
        }
        const message = JSON.parse(machine.Message) as DetectionMessage;
        // Visible trimming: a shortened title or description ends with the marker.
        if (oneLine(g.title).length > 1_000) expect(message.detection.title.endsWith(TRUNCATION_MARKER)).toBe(true);
        if (message.truncated && message.detection.description)
          expect(message.detection.description.endsWith(TRUNCATION_MARKER)).toBe(true);
        if (message.detection.participants.length < d.participants.length)
          expect(message.omitted?.participants).toBe(d.participants.length - message.detection.participants.length);

        // The Slack queue body is the fitted detection: within SQS's 1 MiB, and within 256 KiB too.
        const slackBody = JSON.stringify({ detection: message.detection, event: 'new', reasons: [] });
        expect(Buffer.byteLength(slackBody)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
        const slack = renderSlack(message.detection, 'new');
        expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
        for (const block of slack.blocks) {
          if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
          if (block.type === 'section') {
            if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
            expect((block.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
            for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
          }
        }
        expect(Buffer.byteLength(JSON.stringify(renderAmazonQ(message.detection, 'new')))).toBeLessThanOrEqual(
          SNS_MAX_MESSAGE_BYTES,
        );

        // The stored item: record and outbox together, measured as dynalite (and DynamoDB) measure it.
        const decision = decideLifecycle(undefined, d, DEFAULT_LIFECYCLE_POLICY, 0);
        const outbox = {
          token: 'a'.repeat(36),
          modTime: d.modTime,
          message: machine.Message,
          notify: true,
          sent: [],
          claimedBy: 'm'.repeat(36),
          claimedUntil: DEFAULT_LEASE_MS,
        };
        const item = {
          pk: { S: 'detection#default#42' },
          modTime: { N: '2000' },
          record: { S: JSON.stringify(decision.record) },
          outbox: { S: JSON.stringify(outbox) },
          outboxToken: { S: outbox.token },
          expiresAt: { N: '1700000000' },
        };
        expect(itemSize(item)).toBeLessThanOrEqual(DYNAMODB_MAX_ITEM_BYTES);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('text people read cannot be forged (generated text)', () => {
  const oneLineFields = fc.record({
    title: hostile,
    hostname: hostile,
    username: hostile,
    type: hostile,
    assignee: hostile,
    url: hostile,
    description: hostile,
  });

  test('e-mail: no line of its own from the detection, no control, bidi or invisible character, only the appliance link', () => {
    fc.assert(
      fc.property(oneLineFields, (g) => {
        const raw = (f: typeof g) =>
          normalizeDetection(
            {
              id: 7,
              type: f.type || 't',
              title: f.title,
              description: f.description,
              risk_score: 80,
              start_time: 1,
              mod_time: 2,
              assignee: f.assignee || 'a',
              url: f.url,
              participants: [
                {
                  role: 'offender',
                  object_type: 'device',
                  object_id: 1,
                  hostname: f.hostname || 'h',
                  username: f.username || 'u',
                },
                { role: 'victim', object_type: 'ipaddr', object_value: '10.0.0.1' },
              ],
            },
            { applianceUrl: APPLIANCE },
          );
        const evil = renderEmail(raw(g), 'new');
        const lines = evil.body.split('\n');
        // autotap's own lines start at column 0; everything from the detection is indented under a heading.
        const own = /^(|WHAT|WHO|WHEN \(UTC\)|MITRE ATT&CK|DESCRIPTION|Open in ExtraHop: .*|-- autotap.*)$/;
        lines.slice(2).forEach((line) => expect(own.test(line) || line.startsWith('  ')).toBe(true));
        for (const label of ['Title', 'Type', 'Assignee', 'Offender', 'Victim'])
          expect(lines.filter((l) => l.startsWith(`  ${label}:`)).length).toBeLessThanOrEqual(1);
        expect(lines.filter((l) => l.startsWith('  Victim: 10.0.0.1'))).toHaveLength(1);
        expect(FORBIDDEN.test(evil.body.replace(/\n/g, ''))).toBe(false);
        expect(evil.body.match(/^Open in ExtraHop: (.*)$/gm)).toEqual([
          `Open in ExtraHop: ${APPLIANCE}/extrahop/#/detections/detail/7`,
        ]);
        expect(/^[\x20-\x7e]{1,99}$/.test(evil.subject)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('Slack, Block Kit and Amazon Q: no mention, broadcast or foreign link, no line break in a one-line field', () => {
    fc.assert(
      fc.property(oneLineFields, (g) => {
        const d = normalizeDetection(
          {
            id: 7,
            type: g.type || 't',
            title: g.title,
            description: g.description,
            risk_score: 80,
            start_time: 1,
            mod_time: 2,
            url: g.url,
            participants: [
              {
                role: 'offender',
                object_type: 'device',
                object_id: 1,
                hostname: g.hostname || 'h',
                username: g.username || 'u',
              },
            ],
          },
          { applianceUrl: APPLIANCE },
        );
        // Whatever is left is made of readableDetection's output: check the raw rendering too, without normalize.
        for (const detection of [
          d,
          {
            ...d,
            title: g.title,
            type: g.type || 't',
            participants: [{ role: 'offender', objectType: 'device', hostname: g.hostname }],
          },
        ]) {
          const slack = renderSlack(detection, 'new');
          // mrkdwn texts (the header is plain_text, which Slack shows literally).
          const texts = [
            slack.text,
            ...slack.blocks.flatMap((b) =>
              b.type === 'section'
                ? [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)]
                : b.type === 'context'
                  ? b.elements.map((e) => e.text)
                  : [],
            ),
          ];
          for (const text of texts) {
            expect(FORBIDDEN.test(text.replace(/\n/g, ''))).toBe(false);
            // Every `<` left is a link autotap made, to the appliance.
            for (const link of text.match(/<[^>]*>?/g) ?? []) expect(link.startsWith(`<${APPLIANCE}/`)).toBe(true);
          }
          const header = slack.blocks[0];
          expect(
            header?.type === 'header' && (header.text.text.includes('\n') || FORBIDDEN.test(header.text.text)),
          ).toBe(false);
          // The offender field: its name line and one line per offender, nothing more.
          const fields = slack.blocks[1]?.type === 'section' ? (slack.blocks[1].fields ?? []) : [];
          expect(fields[2]?.text.split('\n')).toHaveLength(2);
          const q = renderAmazonQ(detection, 'new');
          for (const text of [
            q.content.title,
            q.content.description,
            q.metadata.summary,
            ...(q.content.nextSteps ?? []),
          ]) {
            expect(/<[!@#]|<https?:/.test(text.replace(`<${APPLIANCE}`, ''))).toBe(false);
            expect(/\]\(/.test(text)).toBe(false);
            expect(FORBIDDEN.test(text.replace(/\n/g, ''))).toBe(false);
          }
          expect(q.content.title.includes('\n')).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
