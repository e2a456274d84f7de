import { descriptionToPlainText, descriptionToSlack, slackEscape } from './description.ts';
import { headline, riskTag, truncate } from './headline.ts';
import type { LifecycleEvent } from './lifecycle.ts';
import {
  isoTime,
  offenders,
  participantLabel,
  severityOf,
  victims,
  type Detection,
  type MitreReference,
  type Participant,
  type Severity,
} from './model.ts';
import { readableDetection } from './neutralize.ts';

/** Block Kit limits (api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  url: 3000,
  /** Not a Block Kit limit: notifications show the first line or so; keep the fallback short. */
  fallbackText: 3000,
} as const;

interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | { type: 'actions'; elements: { type: 'button'; text: TextObject; url: string; action_id: string }[] };

export interface SlackMessage {
  /** Fallback for notifications and screen readers. */
  text: string;
  blocks: SlackBlock[];
}

const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });
const plain = (text: string): TextObject => ({ type: 'plain_text', text, emoji: true });

const SEVERITY_MARK: Record<Severity, string> = {
  high: ':red_circle:',
  medium: ':large_orange_circle:',
  low: ':large_yellow_circle:',
};

/** Slack rejects blank text objects; a field never reads "undefined". */
const field = (name: string, value: string) => mrkdwn(truncate(`*${name}*\n${value || '-'}`, SLACK_LIMITS.fieldText));

function participantList(list: Participant[], max = 5): string {
  const names = list
    .slice(0, max)
    .map((p) => slackEscape(participantLabel(p) + (p.external === true ? ' (external)' : '')));
  if (list.length > max) names.push(`and ${list.length - max} more`);
  return names.join('\n');
}

function mitreText(tactics: MitreReference[], techniques: MitreReference[]): string {
  const item = (m: MitreReference) => {
    const label = slackEscape(`${m.id} ${m.name}`.replace(/\|/g, '/'));
    // readableDetection kept only links to MITRE's site.
    return m.url && m.url.length < 500 ? `<${m.url.replace(/[|<>]/g, encodeURIComponent)}|${label}>` : label;
  };
  const parts = [
    tactics.length ? `*Tactics:* ${tactics.map(item).join(', ')}` : '',
    techniques.length ? `*Techniques:* ${techniques.map(item).join(', ')}` : '',
  ].filter(Boolean);
  return `MITRE ATT&amp;CK  ${parts.join('  ')}`;
}

/** Cuts mrkdwn without leaving a link, bold or escape open: the cut falls before any unfinished token. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 3);
  const open = Math.max(cut.lastIndexOf('<'), cut.lastIndexOf('&'));
  if (open >= 0 && !/[>;]/.test(cut.slice(open))) cut = cut.slice(0, open);
  // An odd number of `*` or `` ` `` would leave formatting open up to the dots.
  for (const marker of ['*', '`']) {
    if ((cut.split(marker).length - 1) % 2 === 1) cut = cut.slice(0, cut.lastIndexOf(marker));
  }
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}...`;
}

/** `url` has been through readableDetection: it points at the appliance or is absent. */
function linkButton(url: string | undefined, id: string): SlackBlock[] {
  if (!url || url.length > SLACK_LIMITS.url) return [];
  return [
    {
      type: 'actions',
      elements: [
        { type: 'button', text: plain('Open in ExtraHop'), url, action_id: `autotap-open-${id}`.slice(0, 255) },
      ],
    },
  ];
}

/** The fallback line: plain words, no Block Kit, `&<>` escaped. */
function fallback(d: Detection, event: LifecycleEvent): string {
  return truncate(slackEscape(`${riskTag(d, event)} ${headline(d)}`), SLACK_LIMITS.fallbackText);
}

/**
 * One Block Kit message for one detection. Text from the detection is neutralised (readableDetection)
 * and mrkdwn-escaped, so it can neither break a line nor mention (`<!channel>`, `<@U...>`) nor link.
 */
export function renderSlack(detection: Detection, event: LifecycleEvent): SlackMessage {
  const d = readableDetection(detection);
  const header = truncate(
    `${SEVERITY_MARK[d.severity]} ${riskTag(d, event)} ${d.title}`.replace(/\s+/g, ' '),
    SLACK_LIMITS.headerText,
  );
  const from = offenders(d);
  const to = victims(d);
  const fields = [
    field('Risk', `${d.riskScore} (${d.severity})`),
    field('Type', slackEscape(d.type)),
    field(from.length > 1 ? 'Offenders' : 'Offender', participantList(from)),
    field(to.length > 1 ? 'Victims' : 'Victim', participantList(to)),
    field('Started (UTC)', `${isoTime(d.startTime)}${d.endTime === undefined ? ' (ongoing)' : ''}`),
    field(
      'Status',
      slackEscape(
        [
          d.status.replace('_', ' '),
          d.assignee ? `assigned to ${d.assignee}` : '',
          d.ticketId ? `ticket ${d.ticketId}` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ),
    ),
  ].slice(0, SLACK_LIMITS.fields);
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(header) },
    { type: 'section', fields },
  ];
  const description = descriptionToSlack(d.description, d.applianceUrl);
  if (description)
    blocks.push({ type: 'section', text: mrkdwn(truncateMrkdwn(description, SLACK_LIMITS.sectionText)) });
  if (d.mitreTactics.length || d.mitreTechniques.length) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(truncateMrkdwn(mitreText(d.mitreTactics, d.mitreTechniques), SLACK_LIMITS.sectionText))],
    });
  }
  blocks.push(...linkButton(d.url, d.id));
  return { text: fallback(d, event), blocks };
}

export type EventCounts = Partial<Record<LifecycleEvent, number>>;

/** `37 new, 3 escalated` in a stable order. */
function describeCounts(counts: EventCounts): string {
  const order: LifecycleEvent[] = ['new', 'escalated', 'closed', 'updated', 'stale'];
  return order
    .filter((e) => (counts[e] ?? 0) > 0)
    .map((e) => `${counts[e]} ${e}`)
    .join(', ');
}

/** Highest risk first; among equals the most recently changed. */
export function byPriority(a: Detection, b: Detection): number {
  return b.riskScore - a.riskScore || b.modTime - a.modTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** One message for a burst: counts by event and severity, then the top `top` by risk with links. */
export function renderSlackRollup(
  received: readonly Detection[],
  counts: EventCounts,
  options: { top?: number } = {},
): SlackMessage {
  const detections = received.map(readableDetection);
  const top = Math.max(0, Math.min(options.top ?? 10, SLACK_LIMITS.blocks - 4));
  const total = detections.length;
  const bySeverity = (['high', 'medium', 'low'] as const)
    .map((s) => [s, detections.filter((d) => severityOf(d.riskScore) === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const eventSummary = describeCounts(counts);
  const title = `${total} detection${total === 1 ? '' : 's'}${eventSummary ? ` (${eventSummary})` : ''}`;
  const summary = `${title}${bySeverity ? `: ${bySeverity}` : ''}`;
  const ranked = [...detections].sort(byPriority).slice(0, top);
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(truncate(`:rotating_light: ${title}`, SLACK_LIMITS.headerText)) },
    { type: 'section', text: mrkdwn(truncateMrkdwn(slackEscape(summary), SLACK_LIMITS.sectionText)) },
  ];
  for (const d of ranked) {
    const line = `${SEVERITY_MARK[d.severity]} *${d.riskScore}* ${slackEscape(headline(d))}`;
    const withLink =
      d.url && d.url.length < 1000
        ? `${line}\n<${d.url.replace(/[|<>]/g, encodeURIComponent)}|Open in ExtraHop>`
        : line;
    blocks.push({ type: 'section', text: mrkdwn(truncateMrkdwn(withLink, SLACK_LIMITS.sectionText)) });
  }
  if (total > ranked.length)
    blocks.push({ type: 'context', elements: [mrkdwn(`and ${total - ranked.length} more, lower risk: see ExtraHop`)] });
  return {
    text: truncate(slackEscape(summary), SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

export interface AmazonQNotification {
  version: '1.0';
  source: 'custom';
  content: { textType: 'client-markdown'; title: string; description: string; nextSteps?: string[] };
  metadata: { threadId: string; summary: string };
}

/**
 * Client markdown as Amazon Q posts it to Slack: `&<>` escaped as Slack documents (no `<!channel>`,
 * `<@U...>` or `<url|label>` survives), and `](` broken so that no text becomes a Markdown link.
 */
export function amazonQText(text: string): string {
  return slackEscape(text).replace(/\]\(/g, '] (');
}

const MAX_AMAZON_Q_MITRE = 10;

/** Amazon Q Developer in chat applications drops anything but its custom-notification schema. */
export function renderAmazonQ(detection: Detection, event: LifecycleEvent): AmazonQNotification {
  const d = readableDetection(detection);
  const from = offenders(d).map(participantLabel);
  const to = victims(d).map(participantLabel);
  const list = (names: string[]) =>
    amazonQText(names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '));
  const mitre = d.mitreTechniques.slice(0, MAX_AMAZON_Q_MITRE).map((m) => `${m.id} ${m.name}`);
  if (d.mitreTechniques.length > MAX_AMAZON_Q_MITRE)
    mitre.push(`and ${d.mitreTechniques.length - MAX_AMAZON_Q_MITRE} more`);
  const lines = [
    `**Risk ${d.riskScore} (${d.severity})**, ${amazonQText(d.type)}, ${d.status.replace('_', ' ')}`,
    from.length ? `**Offender:** ${list(from)}` : '',
    to.length ? `**Victim:** ${list(to)}` : '',
    `**Started:** ${isoTime(d.startTime)}${d.endTime === undefined ? ' (ongoing)' : ''}`,
    mitre.length ? `**MITRE:** ${amazonQText(mitre.join(', '))}` : '',
    '',
    truncateMrkdwn(amazonQText(descriptionToPlainText(d.description, d.applianceUrl)), 2000),
  ].filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''));
  const notification: AmazonQNotification = {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: truncateMrkdwn(amazonQText(`${riskTag(d, event)} ${d.title}`), 250),
      description: lines.join('\n').trim(),
    },
    metadata: {
      threadId: `autotap-detection-${d.id}`,
      summary: truncateMrkdwn(amazonQText(`${riskTag(d, event)} ${headline(d)}`), 250),
    },
  };
  if (d.url) notification.content.nextSteps = [`Investigate in ExtraHop: ${d.url}`];
  return notification;
}
