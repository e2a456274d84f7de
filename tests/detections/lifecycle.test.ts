import {
  decideLifecycle,
  MAX_RECORDED_PARTICIPANTS,
  type DetectionRecord,
  type LifecyclePolicy,
} from '../../src/detections/lifecycle.ts';
import type { Detection, Participant } from '../../src/detections/model.ts';
import { severityOf } from '../../src/detections/model.ts';
import { ICMP_TUNNEL, sample } from './fixtures/samples.ts';

const policy: LifecyclePolicy = { minRiskScore: 30, escalationDelta: 20, notifyOnClose: false };
const NOW = 1_800_000_000_000;

function detection(patch: Partial<Detection> = {}): Detection {
  const d = { ...sample(ICMP_TUNNEL), ...patch };
  return { ...d, severity: severityOf(d.riskScore) };
}

/** The record after a first delivery of `d`, as the store would hold it. */
function recorded(d: Detection, p: LifecyclePolicy = policy): DetectionRecord {
  return decideLifecycle(undefined, d, p, NOW - 60_000).record;
}

const later = (d: Detection, patch: Partial<Detection>) => detection({ ...d, modTime: d.modTime + 1000, ...patch });

describe('decideLifecycle', () => {
  it('new: unseen detection at or above minRiskScore is notified and recorded', () => {
    const d = detection({ riskScore: 30 });
    const decision = decideLifecycle(undefined, d, policy, NOW);
    expect(decision).toMatchObject({ event: 'new', notify: true });
    expect(decision.record).toEqual({
      id: '4294967311',
      modTime: d.modTime,
      riskScore: 30,
      status: 'open',
      participants: ['offender:device:12884901890', 'victim:ipaddr:175.16.199.0', 'victim:ipaddr:175.16.199.1'],
      firstSeen: NOW,
      lastNotified: { event: 'new', riskScore: 30, at: NOW },
    });
  });

  it('new below minRiskScore: recorded, not notified', () => {
    const decision = decideLifecycle(undefined, detection({ riskScore: 29 }), policy, NOW);
    expect(decision).toMatchObject({ event: 'new', notify: false });
    expect(decision.reasons.join()).toContain('below minRiskScore 30');
    expect(decision.record.lastNotified).toBeUndefined();
  });

  it('stale: the same mod_time again is a duplicate, not notified, nothing new to store', () => {
    const d = detection();
    const previous = recorded(d);
    const decision = decideLifecycle(previous, d, policy, NOW);
    expect(decision).toMatchObject({ event: 'stale', notify: false });
    expect(decision.record).toBe(previous);
    expect(decision.reasons[0]).toMatch(/duplicate/);
  });

  it('stale: an older mod_time arriving late is out of order, even if it looks like an escalation', () => {
    const d = detection({ riskScore: 40 });
    const previous = recorded(d);
    const decision = decideLifecycle(previous, detection({ riskScore: 95, modTime: d.modTime - 1 }), policy, NOW);
    expect(decision).toMatchObject({ event: 'stale', notify: false });
    expect(decision.reasons[0]).toMatch(/out-of-order/);
  });

  it.each([
    [79, 80, true],
    [30, 31, true],
    [70, 79, false],
  ])('band: %i -> %i escalates: %s', (from, to, escalates) => {
    const d = detection({ riskScore: from });
    const decision = decideLifecycle(recorded(d), later(d, { riskScore: to }), policy, NOW);
    expect(decision.event).toBe(escalates ? 'escalated' : 'updated');
    expect(decision.notify).toBe(escalates);
  });

  it('delta: a rise of escalationDelta within a band escalates, one point less does not', () => {
    const d = detection({ riskScore: 35 });
    expect(decideLifecycle(recorded(d), later(d, { riskScore: 55 }), policy, NOW)).toMatchObject({
      event: 'escalated',
      notify: true,
    });
    expect(decideLifecycle(recorded(d), later(d, { riskScore: 54 }), policy, NOW)).toMatchObject({
      event: 'updated',
      notify: false,
    });
  });

  it('delta is measured from the last notification, so a slow climb still escalates', () => {
    let d = detection({ riskScore: 35 });
    let record = recorded(d);
    const events: string[] = [];
    for (const risk of [40, 45, 50, 55, 60]) {
      d = later(d, { riskScore: risk });
      const decision = decideLifecycle(record, d, policy, NOW);
      events.push(decision.event);
      record = decision.record;
    }
    expect(events).toEqual(['updated', 'updated', 'updated', 'escalated', 'updated']);
    expect(record.lastNotified).toMatchObject({ event: 'escalated', riskScore: 55 });
  });

  it('a new victim escalates; the same participants again do not', () => {
    const d = detection();
    const victim: Participant = { role: 'victim', objectType: 'ipaddr', ipAddress: '175.16.199.9', external: true };
    const grown = later(d, { participants: [...d.participants, victim] });
    const decision = decideLifecycle(recorded(d), grown, policy, NOW);
    expect(decision).toMatchObject({ event: 'escalated', notify: true, reasons: ['1 new victim'] });
    expect(decision.record.participants).toContain('victim:ipaddr:175.16.199.9');
    expect(decideLifecycle(decision.record, later(grown, {}), policy, NOW).event).toBe('updated');
  });

  it('a new offender escalates; a participant in another role does not', () => {
    const d = detection();
    const offender: Participant = { role: 'offender', objectType: 'device', objectId: '99' };
    expect(
      decideLifecycle(recorded(d), later(d, { participants: [...d.participants, offender] }), policy, NOW).reasons,
    ).toEqual(['1 new offender']);
    const other: Participant = { role: 'observer', objectType: 'device', objectId: '98' };
    expect(
      decideLifecycle(recorded(d), later(d, { participants: [...d.participants, other] }), policy, NOW).event,
    ).toBe('updated');
  });

  it('a minor update (triage, same risk and participants) is recorded, not notified', () => {
    const d = detection();
    const decision = decideLifecycle(recorded(d), later(d, { status: 'in_progress', assignee: 'soc' }), policy, NOW);
    expect(decision).toMatchObject({ event: 'updated', notify: false, reasons: ['minor update'] });
    expect(decision.record.status).toBe('in_progress');
    expect(decision.record.modTime).toBe(d.modTime + 1000);
  });

  it('closed: notified only with notifyOnClose', () => {
    const d = detection();
    const closing = later(d, { status: 'closed', resolution: 'action_taken' });
    expect(decideLifecycle(recorded(d), closing, policy, NOW)).toMatchObject({ event: 'closed', notify: false });
    const onClose = { ...policy, notifyOnClose: true };
    const decision = decideLifecycle(recorded(d, onClose), closing, onClose, NOW);
    expect(decision).toMatchObject({ event: 'closed', notify: true, reasons: ['closed: action_taken'] });
    expect(decision.record).toMatchObject({ status: 'closed', lastNotified: { event: 'closed' } });
  });

  it('closed: a detection nobody was told about closes silently even with notifyOnClose', () => {
    const onClose = { ...policy, notifyOnClose: true };
    const d = detection({ riskScore: 10 });
    expect(decideLifecycle(recorded(d, onClose), later(d, { status: 'closed' }), onClose, NOW)).toMatchObject({
      event: 'closed',
      notify: false,
    });
  });

  it('below minRiskScore: escalations stay quiet until the risk reaches the minimum', () => {
    const strict = { ...policy, minRiskScore: 50 };
    const d = detection({ riskScore: 20 });
    const toBand = decideLifecycle(recorded(d, strict), later(d, { riskScore: 45 }), strict, NOW);
    expect(toBand).toMatchObject({ event: 'escalated', notify: false });
    expect(toBand.record.lastNotified).toBeUndefined();
    const above = decideLifecycle(toBand.record, later(d, { riskScore: 52, modTime: d.modTime + 5000 }), strict, NOW);
    expect(above).toMatchObject({ event: 'escalated', notify: true });
    expect(above.reasons[0]).toMatch(/reached minRiskScore 50/);
  });

  it('keeps firstSeen from the first delivery', () => {
    const d = detection();
    const decision = decideLifecycle(recorded(d), later(d, { riskScore: 99 }), policy, NOW);
    expect(decision.record.firstSeen).toBe(NOW - 60_000);
  });

  it('caps the recorded participants', () => {
    const many: Participant[] = Array.from({ length: 300 }, (_, i) => ({
      role: 'victim',
      objectType: 'ipaddr',
      ipAddress: `10.1.${i >> 8}.${i & 255}`,
    }));
    const decision = decideLifecycle(undefined, detection({ participants: many }), policy, NOW);
    expect(decision.record.participants).toHaveLength(MAX_RECORDED_PARTICIPANTS);
  });
});
