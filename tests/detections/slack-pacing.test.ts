import { countEvents, planRetry, planSlackPosts, type PendingNotification } from '../../src/detections/slack-pacing.ts';
import { renderSlackRollup } from '../../src/detections/render-slack.ts';
import { severityOf } from '../../src/detections/model.ts';
import type { LifecycleEvent } from '../../src/detections/lifecycle.ts';
import { sample } from './fixtures/samples.ts';

const NOW = 1_800_000_000_000;

function pending(
  count: number,
  risk: (i: number) => number = (i) => ((i * 37) % 99) + 1,
  event: (i: number) => LifecycleEvent = () => 'new',
): PendingNotification[] {
  return Array.from({ length: count }, (_, i) => {
    const riskScore = risk(i);
    return {
      detection: { ...sample(i % 4), id: String(i), riskScore, severity: severityOf(riskScore) },
      event: event(i),
    };
  });
}

describe('planSlackPosts', () => {
  it('posts a few notifications individually, one second apart', () => {
    const posts = planSlackPosts(pending(3), { now: NOW });
    expect(posts.map((p) => p.kind)).toEqual(['single', 'single', 'single']);
    expect(posts.map((p) => p.at)).toEqual([NOW, NOW + 1000, NOW + 2000]);
  });

  it('waits for the interval after the last post', () => {
    const posts = planSlackPosts(pending(2), { now: NOW, lastPostAt: NOW - 200 });
    expect(posts.map((p) => p.at)).toEqual([NOW + 800, NOW + 1800]);
    expect(planSlackPosts(pending(1), { now: NOW, lastPostAt: NOW - 5000 })[0]!.at).toBe(NOW);
  });

  it('turns a burst of 200 into a handful of messages, never more than one a second', () => {
    const burst = pending(200);
    const posts = planSlackPosts(burst, { now: NOW, lastPostAt: NOW - 100 });
    expect(posts).toHaveLength(5);
    expect(posts.map((p) => p.kind)).toEqual(['single', 'single', 'single', 'single', 'rollup']);
    for (let i = 1; i < posts.length; i++) expect(posts[i]!.at - posts[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    expect(posts[0]!.at).toBeGreaterThanOrEqual(NOW - 100 + 1000);
    const covered = posts.flatMap((p) => (p.kind === 'single' ? [p.notification] : p.notifications));
    expect(new Set(covered.map((n) => n.detection.id)).size).toBe(200);
    const rollup = posts[4]!;
    if (rollup.kind !== 'rollup') throw new Error('expected a roll-up last');
    expect(rollup.counts).toEqual({ new: 196 });
    const message = renderSlackRollup(
      rollup.notifications.map((n) => n.detection),
      rollup.counts,
    );
    expect(message.text).toMatch(/^196 detections \(196 new\)/);
  });

  it('gives the individual posts to high-risk escalations first', () => {
    const burst = pending(
      50,
      (i) => (i === 7 ? 81 : i === 9 ? 99 : 50),
      (i) => (i === 7 ? 'escalated' : 'new'),
    );
    const singles = planSlackPosts(burst, { now: NOW, maxMessages: 3 }).filter((p) => p.kind === 'single');
    expect(singles.map((p) => (p.kind === 'single' ? p.notification.detection.id : ''))).toEqual(['7', '9']);
  });

  it('is deterministic', () => {
    const burst = pending(40);
    expect(planSlackPosts(burst, { now: NOW })).toEqual(planSlackPosts([...burst].reverse(), { now: NOW }));
  });

  it('plans nothing for nothing', () => {
    expect(planSlackPosts([], { now: NOW })).toEqual([]);
  });

  it('counts events', () => {
    expect(
      countEvents(
        pending(
          5,
          () => 50,
          (i) => (i < 2 ? 'escalated' : 'new'),
        ),
      ),
    ).toEqual({ escalated: 2, new: 3 });
  });
});

describe('planRetry', () => {
  it('waits the seconds Retry-After gives', () => {
    expect(planRetry('3', { now: NOW })).toEqual({ action: 'wait', waitMs: 3000, resumeAt: NOW + 3000 });
    expect(planRetry(2, { now: NOW })).toMatchObject({ action: 'wait', waitMs: 2000 });
  });

  it('reads an HTTP date', () => {
    expect(planRetry(new Date(NOW + 4000).toUTCString(), { now: NOW })).toMatchObject({ action: 'wait', waitMs: 4000 });
  });

  it('defers a long wait instead of sleeping through it', () => {
    expect(planRetry('120', { now: NOW })).toEqual({ action: 'defer', waitMs: 120_000, resumeAt: NOW + 120_000 });
  });

  it('falls back to the default when the header is missing or unreadable, and never waits less than the interval', () => {
    expect(planRetry(undefined, { now: NOW })).toMatchObject({ waitMs: 5000 });
    expect(planRetry('soon', { now: NOW, defaultWaitMs: 2000 })).toMatchObject({ waitMs: 2000 });
    expect(planRetry('0', { now: NOW })).toMatchObject({ waitMs: 1000 });
    expect(planRetry(new Date(NOW - 60_000).toUTCString(), { now: NOW })).toMatchObject({ waitMs: 1000 });
  });
});
