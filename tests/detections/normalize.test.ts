import fc from 'fast-check';
import { InvalidDetection, normalizeDetection, normalizeDetections } from '../../src/detections/normalize.ts';
import { severityOf } from '../../src/detections/model.ts';
import {
  APPLIANCE_URL,
  ICMP_TUNNEL,
  ISO_TIMES,
  LOW_RISK,
  RDP_BRUTE_FORCE,
  rawCamelCase,
  rawSamples,
  sample,
} from './fixtures/samples.ts';

const base = () => structuredClone(rawSamples()[ICMP_TUNNEL]!);

function errorOf(raw: unknown): InvalidDetection {
  try {
    normalizeDetection(raw);
  } catch (error) {
    if (error instanceof InvalidDetection) return error;
    throw error;
  }
  throw new Error('expected InvalidDetection');
}

describe('severity bands', () => {
  it.each([
    [1, 'low'],
    [30, 'low'],
    [31, 'medium'],
    [79, 'medium'],
    [80, 'high'],
    [99, 'high'],
  ])('risk %i is %s', (risk, band) => {
    expect(severityOf(risk)).toBe(band);
    expect(normalizeDetection({ ...base(), risk_score: risk }).severity).toBe(band);
  });
});

describe('normalizeDetection', () => {
  it('reads the REST shape', () => {
    const d = sample(ICMP_TUNNEL);
    expect(d).toMatchObject({
      id: '4294967311',
      type: 'icmp_tunnel',
      title: 'ICMP Tunnel',
      categories: ['sec', 'sec.command', 'sec.exfil'],
      riskScore: 85,
      severity: 'high',
      startTime: 1718524800000,
      updateTime: 1718525400000,
      modTime: 1718525400123,
      createTime: 1718524860000,
      status: 'open',
      applianceId: '3',
      applianceUrl: APPLIANCE_URL,
      source: 'extrahop',
      url: 'https://extrahop.example.com/extrahop/#/detections/detail/4294967311',
    });
    expect(d.participants).toEqual([
      {
        role: 'offender',
        objectType: 'device',
        objectId: '12884901890',
        ipAddress: '10.0.1.7',
        hostname: 'web-01.internal.example.com',
        external: false,
      },
      { role: 'victim', objectType: 'ipaddr', ipAddress: '175.16.199.0', external: true },
      { role: 'victim', objectType: 'ipaddr', ipAddress: '175.16.199.1', external: true },
    ]);
    expect(d.mitreTactics).toEqual([
      { id: 'TA0011', name: 'Command and Control', url: 'https://attack.mitre.org/tactics/TA0011/' },
    ]);
    expect(d.description).toContain('10\\.0\\.1\\.7');
  });

  it('leaves endTime out while the detection is ongoing, and keeps it when present', () => {
    expect('endTime' in sample(ICMP_TUNNEL)).toBe(false);
    expect(normalizeDetection({ ...base(), end_time: null })).not.toHaveProperty('endTime');
    expect(sample(RDP_BRUTE_FORCE).endTime).toBe(1718529000000);
  });

  it('reads ISO-8601 times as epoch ms, equal to the ms form', () => {
    const d = sample(ISO_TIMES);
    expect(d.startTime).toBe(Date.UTC(2024, 5, 16, 9, 30, 0));
    expect(d.updateTime).toBe(Date.UTC(2024, 5, 16, 9, 41, 12, 500));
    expect(d.modTime).toBe(Date.UTC(2024, 5, 16, 9, 41, 13));
    const fromMs = normalizeDetection({ ...base(), start_time: 1718524800000 });
    const fromIso = normalizeDetection({ ...base(), start_time: '2024-06-16T08:00:00.000Z' });
    expect(fromIso.startTime).toBe(fromMs.startTime);
    expect(normalizeDetection({ ...base(), start_time: '2024-06-16T10:00:00+02:00' }).startTime).toBe(fromMs.startTime);
  });

  it('reads an ISO time without a zone as UTC, whatever the host zone', () => {
    expect(normalizeDetection({ ...base(), start_time: '2024-06-16T08:00:00' }).startTime).toBe(1718524800000);
  });

  it.each([
    [null, undefined],
    [undefined, undefined],
    ['', undefined],
    [48211, '48211'],
    ['INC-20931', 'INC-20931'],
  ])('ticket_id %p becomes %p', (ticket, expected) => {
    const d = normalizeDetection({ ...base(), ticket_id: ticket });
    expect(d.ticketId).toBe(expected);
  });

  it('maps a null status to open and keeps the others', () => {
    expect(sample(ICMP_TUNNEL).status).toBe('open');
    expect(sample(RDP_BRUTE_FORCE).status).toBe('in_progress');
    expect(normalizeDetection({ ...base(), status: 'closed', resolution: 'action_taken' })).toMatchObject({
      status: 'closed',
      resolution: 'action_taken',
    });
  });

  it('reads a missing categories or status as a null one: no categories, open', () => {
    const { categories: _c, status: _s, ...raw } = base();
    const d = normalizeDetection(raw);
    expect(d).toMatchObject({ id: '4294967311', categories: [], status: 'open' });
    expect(normalizeDetection({ ...raw, categories: null, status: null })).toEqual(d);
    const { categories: _cc, status: _cs, ...camel } = rawCamelCase();
    expect(normalizeDetection(camel)).toMatchObject({ categories: [], status: 'open' });
    // Each default is a fresh array, never shared between detections.
    expect(normalizeDetection(raw).categories).not.toBe(d.categories);
  });

  it('accepts participants without object_value', () => {
    const d = sample(LOW_RISK);
    expect(d.participants[0]).toEqual({ role: 'offender', objectType: 'device', objectId: '31', external: false });
  });

  it('builds the deep link from the appliance URL when the payload has none', () => {
    expect(sample(LOW_RISK).url).toBe('https://extrahop.example.com/extrahop/#/detections/detail/90230');
    expect(normalizeDetection(rawSamples()[LOW_RISK], { applianceUrl: 'https://eh.example.org/' }).url).toBe(
      'https://eh.example.org/extrahop/#/detections/detail/90230',
    );
  });

  it('makes a relative deep link absolute, and drops it when nothing says where the appliance is', () => {
    expect(sample(ISO_TIMES).url).toBe('https://extrahop.example.com/extrahop/#/detections/detail/90244');
    const alone = normalizeDetection(rawSamples()[ISO_TIMES]);
    expect(alone).not.toHaveProperty('url');
    expect(alone).not.toHaveProperty('applianceUrl');
  });

  it('learns the appliance URL from an absolute deep link', () => {
    expect(normalizeDetection(base()).applianceUrl).toBe('https://extrahop.example.com');
  });

  it('ignores extra fields', () => {
    const d = normalizeDetection({ ...base(), some_future_field: { a: 1 } });
    expect(d).not.toHaveProperty('some_future_field');
    expect(d).not.toHaveProperty('properties');
  });

  it('reads the camelCase open-data-stream shape', () => {
    const d = normalizeDetection(rawCamelCase(), { applianceUrl: APPLIANCE_URL });
    expect(d).toMatchObject({
      id: '90301',
      riskScore: 64,
      severity: 'medium',
      startTime: 1718540000000,
      modTime: 1718540300500,
      ticketId: '7',
      applianceId: '3',
    });
    expect(d.participants).toEqual([
      { role: 'offender', objectType: 'ipaddr', ipAddress: '198.51.100.23', external: true },
      { role: 'victim', objectType: 'device', objectId: '77', hostname: 'bastion-01' },
    ]);
    expect(d.mitreTechniques).toEqual([{ id: 'T1110', name: 'Brute Force' }]);
  });

  it('falls back to update_time when mod_time is absent, and rejects when both are', () => {
    const { mod_time: _m, ...noMod } = base();
    expect(normalizeDetection(noMod).modTime).toBe(1718525400000);
    const { update_time: _u, ...neither } = noMod;
    expect(errorOf(neither).message).toMatch(/^mod_time: expected/);
  });

  it('keeps an id beyond 2^53 exact when it arrives as a string', () => {
    expect(normalizeDetection({ ...base(), id: '18446744073709551615' }).id).toBe('18446744073709551615');
  });
});

describe('invalid detections name the field and the expectation', () => {
  it.each([
    [{ participants: [{ object_type: 'device' }] }, 'participants[0].role: expected a string'],
    [{ participants: [{ role: 7, object_type: 'device' }] }, 'participants[0].role: expected a string'],
    [{ participants: 'x' }, 'participants: expected an array or null'],
    [{ risk_score: 0 }, 'risk_score: expected an integer from 1 to 99'],
    [{ risk_score: 100 }, 'risk_score: expected an integer from 1 to 99'],
    [{ risk_score: '85' }, 'risk_score: expected an integer from 1 to 99'],
    [{ id: 1.5 }, 'id: expected an integer id'],
    [{ id: -3 }, 'id: expected an integer id'],
    [{ start_time: 'yesterday' }, 'start_time: expected epoch milliseconds or an ISO-8601 time'],
    [{ start_time: 2.5 }, 'start_time: expected epoch milliseconds or an ISO-8601 time'],
    [{ status: 'done' }, 'status: expected null or one of new, in_progress, acknowledged, closed'],
    [{ ticket_id: { n: 1 } }, 'ticket_id: expected a string, an integer or null'],
    [{ mitre_tactics: ['TA0011'] }, 'mitre_tactics[0]: expected an object with id and name'],
    [{ type: '' }, 'type: expected a non-empty string'],
  ])('%j -> %s', (patch, message) => {
    const error = errorOf({ ...base(), ...patch });
    expect(error.name).toBe('InvalidDetection');
    expect(error.message).toContain(message);
  });

  it('names a missing required field', () => {
    const { risk_score: _r, ...raw } = base();
    expect(errorOf(raw).message).toBe('risk_score: expected an integer from 1 to 99');
  });

  it('rejects something that is not an object', () => {
    expect(errorOf('detection').message).toBe('(root): expected a detection object');
    expect(errorOf(null).message).toBe('(root): expected a detection object');
  });
});

describe('normalizeDetections', () => {
  it('reads an array and keeps the good items when one is bad', () => {
    const raws: unknown[] = rawSamples();
    raws.splice(1, 0, { ...base(), id: 555, risk_score: 'high' }, 42);
    const { detections, rejected } = normalizeDetections(raws, { applianceUrl: APPLIANCE_URL });
    expect(detections.map((d) => d.id)).toEqual(['4294967311', '90215', '90230', '90244']);
    expect(rejected).toEqual([
      { index: 1, id: '555', error: 'risk_score: expected an integer from 1 to 99' },
      { index: 2, error: '(root): expected a detection object' },
    ]);
  });

  it('reads a single object', () => {
    const { detections, rejected } = normalizeDetections(base());
    expect(detections).toHaveLength(1);
    expect(rejected).toEqual([]);
  });

  it('reports a single bad object as rejected at index 0', () => {
    expect(normalizeDetections({ id: 1 }).rejected[0]).toMatchObject({ index: 0, id: '1' });
  });

  it('throws InvalidDetection for a body that is neither object nor array', () => {
    expect(() => normalizeDetections('[]')).toThrow(InvalidDetection);
    expect(() => normalizeDetections(undefined)).toThrow(/\(root\): expected a detection object or an array/);
  });

  it('never throws anything but InvalidDetection, whatever arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.array(fc.anything()), fc.array(fc.object())), (body) => {
        try {
          const { detections, rejected } = normalizeDetections(body);
          expect(detections.length + rejected.length).toBe(Array.isArray(body) ? body.length : 1);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidDetection);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads mutated samples without throwing anything but InvalidDetection', () => {
    const keys = Object.keys(base());
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything(), (key, value) => {
        const { detections, rejected } = normalizeDetections([{ ...base(), [key]: value }]);
        expect(detections.length + rejected.length).toBe(1);
        for (const d of detections) {
          expect(d.riskScore).toBeGreaterThanOrEqual(1);
          expect(Number.isFinite(d.modTime)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
