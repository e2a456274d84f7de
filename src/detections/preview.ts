import {
  DEFAULT_LIFECYCLE_POLICY,
  decideLifecycle,
  type DetectionRecord,
  type LifecycleEvent,
  type LifecyclePolicy,
} from './lifecycle.ts';
import type { Detection } from './model.ts';
import { normalizeDetections, type RejectedDetection } from './normalize.ts';
import {
  detectionsTopicEntry,
  emailTopicEntry,
  publishBatches,
  type DetectionMessage,
  type SnsPublishEntry,
} from './publish.ts';
import type { RenderedEmail } from './render-email.ts';
import {
  renderAmazonQ,
  renderSlack,
  renderSlackRollup,
  type AmazonQNotification,
  type SlackMessage,
} from './render-slack.ts';
import { planSlackPosts, type PendingNotification } from './slack-pacing.ts';

/**
 * What `autotap detections preview FILE --json` prints: everything the fan-out would send, nothing
 * sent, exactly as it would be sent: neutralised, and trimmed to fit each channel.
 */

export interface PreviewOptions extends Partial<LifecyclePolicy> {
  applianceUrl?: string;
  slackFormat?: 'block-kit' | 'amazon-q';
  /** Slack's own threshold, when it differs from minRiskScore. */
  slackMinRiskScore?: number;
  /** Records as the store holds them, to preview updates of known detections. */
  previous?: readonly DetectionRecord[];
  /** Clock for firstSeen and pacing; defaults to the latest modTime in the body so output is reproducible. */
  now?: number;
}

export interface PreviewDecision {
  id: string;
  modTime: number;
  event: LifecycleEvent;
  notify: boolean;
  reasons: string[];
}

export interface DetectionPreview {
  detections: Detection[];
  decisions: PreviewDecision[];
  /** PublishBatch calls per topic. The detections topic gets every change; the email topic only notifications. */
  sns: { detections: SnsPublishEntry[][]; email: SnsPublishEntry[][] };
  email: RenderedEmail[];
  /** Each planned message, with the detections it is about (a roll-up names many). */
  slack: { at: number; message: SlackMessage | AmazonQNotification; detectionIds: string[] }[];
  records: DetectionRecord[];
  rejected: RejectedDetection[];
}

export function previewDetections(body: unknown, options: PreviewOptions = {}): DetectionPreview {
  const { detections, rejected } = normalizeDetections(
    body,
    options.applianceUrl ? { applianceUrl: options.applianceUrl } : {},
  );
  const policy: LifecyclePolicy = {
    minRiskScore: options.minRiskScore ?? DEFAULT_LIFECYCLE_POLICY.minRiskScore,
    escalationDelta: options.escalationDelta ?? DEFAULT_LIFECYCLE_POLICY.escalationDelta,
    notifyOnClose: options.notifyOnClose ?? DEFAULT_LIFECYCLE_POLICY.notifyOnClose,
  };
  const now = options.now ?? detections.reduce((latest, d) => Math.max(latest, d.modTime), 0);
  const records = new Map((options.previous ?? []).map((r) => [r.id, r]));

  const decisions: PreviewDecision[] = [];
  const machineEntries: SnsPublishEntry[] = [];
  const emailEntries: SnsPublishEntry[] = [];
  const email: RenderedEmail[] = [];
  const forSlack: PendingNotification[] = [];
  // In mod_time order, as the store would see them, so a body holding several updates of one detection previews correctly.
  const ordered = [...detections].sort((a, b) => a.modTime - b.modTime);
  for (const d of ordered) {
    const decision = decideLifecycle(records.get(d.id), d, policy, now);
    records.set(d.id, decision.record);
    decisions.push({
      id: d.id,
      modTime: d.modTime,
      event: decision.event,
      notify: decision.notify,
      reasons: decision.reasons,
    });
    if (decision.event === 'stale') continue;
    const machine = detectionsTopicEntry(d, decision.event, decision.reasons);
    machineEntries.push(machine);
    if (!decision.notify) continue;
    // As the processor does: e-mail and Slack start from the detection the outbox holds, fitted to SNS.
    const sent = (JSON.parse(machine.Message) as DetectionMessage).detection;
    const entry = emailTopicEntry(sent, decision.event, decision.reasons);
    emailEntries.push(entry);
    email.push({ subject: entry.Subject ?? '', body: entry.Message });
    if (d.riskScore >= (options.slackMinRiskScore ?? policy.minRiskScore))
      forSlack.push({ detection: sent, event: decision.event });
  }

  const amazonQ = options.slackFormat === 'amazon-q';
  const slack = amazonQ
    ? // Amazon Q posts one message per SNS notification: threads group them, there is no roll-up.
      forSlack.map((n) => ({ at: now, message: renderAmazonQ(n.detection, n.event), detectionIds: [n.detection.id] }))
    : planSlackPosts(forSlack, { now }).map((post) => ({
        at: post.at,
        message:
          post.kind === 'single'
            ? renderSlack(post.notification.detection, post.notification.event)
            : renderSlackRollup(
                post.notifications.map((n) => n.detection),
                post.counts,
              ),
        detectionIds:
          post.kind === 'single' ? [post.notification.detection.id] : post.notifications.map((n) => n.detection.id),
      }));

  return {
    detections,
    decisions,
    sns: { detections: publishBatches(machineEntries), email: publishBatches(emailEntries) },
    email,
    slack,
    records: [...records.values()].filter((r) => detections.some((d) => d.id === r.id)),
    rejected,
  };
}
