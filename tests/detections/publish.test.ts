import fc from 'fast-check';
import {
  DETECTION_MESSAGE_SCHEMA,
  detectionsTopicEntry,
  emailFilterPolicy,
  emailTopicEntry,
  entryBytes,
  publishBatches,
  publishEntries,
  SNS_MAX_MESSAGE_BYTES,
  type SnsPublishEntry,
} from '../../src/detections/publish.ts';
import { renderEmail } from '../../src/detections/render-email.ts';
import { TRUNCATION_MARKER } from '../../src/detections/trim.ts';
import { ICMP_TUNNEL, RDP_BRUTE_FORCE, sample } from './fixtures/samples.ts';

describe('publishEntries', () => {
  it('detections topic: the normalized detection and event as JSON, with filterable attributes', () => {
    const d = sample(ICMP_TUNNEL);
    const entry = detectionsTopicEntry(d, 'escalated', ['1 new victim']);
    expect(JSON.parse(entry.Message)).toEqual({
      schema: DETECTION_MESSAGE_SCHEMA,
      event: 'escalated',
      reasons: ['1 new victim'],
      detection: d,
    });
    expect(entry.Subject).toBeUndefined();
    expect(entry.MessageAttributes).toEqual({
      riskScore: { DataType: 'Number', StringValue: '85' },
      severity: { DataType: 'String', StringValue: 'high' },
      category: { DataType: 'String', StringValue: 'sec' },
      type: { DataType: 'String', StringValue: 'icmp_tunnel' },
      event: { DataType: 'String', StringValue: 'escalated' },
    });
    expect(entry.Id).toBe(`detection-escalated-4294967311-${d.modTime}`);
  });

  it('email topic: the plain-text body and subject, with the same attributes', () => {
    const d = sample(RDP_BRUTE_FORCE);
    const { detections, email } = publishEntries(d, 'new');
    const rendered = renderEmail(d, 'new');
    expect(email.Message).toBe(rendered.body);
    expect(email.Subject).toBe(rendered.subject);
    expect(email.MessageAttributes).toEqual(detections.MessageAttributes);
    expect(email.Id).not.toBe(detections.Id);
    expect(email.Id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('leaves category out when the detection has none, rather than sending an empty value', () => {
    const entry = detectionsTopicEntry({ ...sample(ICMP_TUNNEL), categories: [] }, 'new');
    expect(entry.MessageAttributes).not.toHaveProperty('category');
  });

  it('shortens an oversized description to fit one SNS message, and says so', () => {
    const d = { ...sample(ICMP_TUNNEL), description: 'ä\n"'.repeat(120_000) };
    const entry = detectionsTopicEntry(d, 'new');
    expect(entryBytes(entry)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    expect(entryBytes(entry)).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES - 400);
    const message = JSON.parse(entry.Message) as { truncated: boolean; detection: { description: string } };
    expect(message.truncated).toBe(true);
    expect(message.detection.description).toMatch(/\.\.\. \(truncated\)$/);
    expect(d.description.startsWith(message.detection.description.slice(0, -TRUNCATION_MARKER.length))).toBe(true);
    const email = emailTopicEntry(d, 'new');
    expect(entryBytes(email)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    // The description is cut, not the end of the message: the link to the detection is still there.
    expect(email.Message).toContain('... (truncated)');
    expect(email.Message).toContain(`Open in ExtraHop: ${d.url}`);
  });

  it('always fits, whatever the size of the text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }),
        fc.integer({ min: 0, max: 20_000 }),
        (chunk, times) => {
          const d = { ...sample(ICMP_TUNNEL), description: chunk.repeat(times), title: chunk };
          const { detections, email } = publishEntries(d, 'new');
          expect(entryBytes(detections)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
          expect(entryBytes(email)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
          expect(() => JSON.parse(detections.Message) as unknown).not.toThrow();
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('publishBatches', () => {
  const entry = (id: string, bytes = 100): SnsPublishEntry => ({
    Id: id,
    Message: 'x'.repeat(bytes),
    MessageAttributes: {},
  });

  it('puts at most 10 entries in a call and keeps the order', () => {
    const entries = Array.from({ length: 23 }, (_, i) => entry(`e${i}`));
    const batches = publishBatches(entries);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(entries);
  });

  it('keeps each call within 262,144 bytes in total', () => {
    const entries = Array.from({ length: 6 }, (_, i) => entry(`e${i}`, 100_000));
    const batches = publishBatches(entries);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 2]);
    for (const batch of batches)
      expect(batch.reduce((n, e) => n + entryBytes(e), 0)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
  });

  it('never repeats an Id within one call', () => {
    const batches = publishBatches([entry('a'), entry('b'), entry('a')]);
    expect(batches.map((b) => b.map((e) => e.Id))).toEqual([['a', 'b'], ['a']]);
  });

  it('respects both limits for any mix of sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: SNS_MAX_MESSAGE_BYTES }), { maxLength: 60 }), (sizes) => {
        const entries = sizes.map((size, i) => entry(`e${i}`, size));
        const batches = publishBatches(entries);
        expect(batches.flat()).toHaveLength(entries.length);
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((n, e) => n + entryBytes(e), 0)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
        }
      }),
    );
  });

  it('counts attributes and subject in the bytes', () => {
    const withAttributes: SnsPublishEntry = {
      Id: 'a',
      Message: 'abc',
      Subject: 'sub',
      MessageAttributes: { riskScore: { DataType: 'Number', StringValue: '85' } },
    };
    expect(entryBytes(withAttributes)).toBe(3 + 3 + 'riskScore'.length + 'Number'.length + 2);
  });
});

describe('emailFilterPolicy', () => {
  it('filters on the numeric riskScore attribute', () => {
    expect(JSON.stringify(emailFilterPolicy(80))).toBe('{"riskScore":[{"numeric":[">=",80]}]}');
  });
});
