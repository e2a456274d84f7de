import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { DETAIL_TYPES, eventsForResults } from '../../src/mirroring/autotap-events.ts';

/** The samples and patterns in events/ that the README offers for autotap's own events. */

const dir = new URL('../../events/', import.meta.url);
const read = (file: string) => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;
const samples = readdirSync(dir).filter((f) => /^autotap-.*(?<!\.pattern)\.json$/.test(f));

type Pattern = Record<string, unknown>;

/** The subset of EventBridge's matching the patterns use: value lists and anything-but lists. */
function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event[key];
    if (!Array.isArray(rule))
      return typeof value === 'object' && value !== null && matches(rule as Pattern, value as Record<string, unknown>);
    return rule.some((r) => {
      if (r !== null && typeof r === 'object' && 'anything-but' in r)
        return value !== undefined && !((r as Record<string, unknown>)['anything-but'] as unknown[]).includes(value);
      return r === value;
    });
  });
}

const DETAIL_FIELDS = [
  'workflow',
  'executionArn',
  'instanceId',
  'networkInterfaceId',
  'reason',
  'sessionNumber',
  'trafficMirrorSessionId',
  'trafficMirrorTargetId',
  'trafficMirrorFilterId',
];

describe('events/autotap-*.json samples', () => {
  test('one sample per detail-type', () => {
    expect(samples.map((f) => read(f)['detail-type']).sort()).toEqual(Object.values(DETAIL_TYPES).sort());
  });

  test.each(samples)('%s has source autotap and only documented detail fields', (file) => {
    const sample = read(file);
    expect(sample.source).toBe('autotap');
    const detail = sample.detail as Record<string, unknown>;
    for (const key of Object.keys(detail)) expect(DETAIL_FIELDS).toContain(key);
    expect(['mirror-instances', 'reconcile', 'cleanup-sessions']).toContain(detail.workflow);
  });

  test('the created sample has the shape eventsForResults produces', () => {
    const sample = read('autotap-mirror-session-created.json');
    const detail = sample.detail as {
      executionArn: string;
      instanceId: string;
      networkInterfaceId: string;
      sessionNumber: number;
      trafficMirrorSessionId: string;
      trafficMirrorTargetId: string;
    };
    const [made] = eventsForResults([{ ...detail, outcome: 'created' }], {
      workflow: 'mirror-instances',
      executionArn: detail.executionArn,
    });
    expect(made!.detail).toEqual(detail);
    expect(made!.detailType).toBe(sample['detail-type']);
  });
});

describe('events/autotap-*.pattern.json', () => {
  const matched = (patternFile: string) => samples.filter((f) => matches(read(patternFile), read(f))).sort();

  test('Mirror Session Created only', () => {
    expect(matched('autotap-mirror-session-created.pattern.json')).toEqual(['autotap-mirror-session-created.json']);
  });

  test('session changes: created, deleted, drift repaired', () => {
    expect(matched('autotap-session-changes.pattern.json')).toEqual([
      'autotap-drift-repaired.json',
      'autotap-mirror-session-created.json',
      'autotap-mirror-session-deleted.json',
    ]);
  });

  test('needs attention: failures and the skips a human must act on, not the expected ones', () => {
    expect(matched('autotap-needs-attention.pattern.json')).toEqual([
      'autotap-interface-skipped.json',
      'autotap-mirroring-failed.json',
    ]);
    const excluded = {
      ...read('autotap-interface-skipped.json'),
      detail: { ...(read('autotap-interface-skipped.json').detail as object), reason: 'excluded-by-tag' },
    };
    expect(matches(read('autotap-needs-attention.pattern.json'), excluded)).toBe(false);
  });
});
