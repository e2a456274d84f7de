import { descriptionToPlainText } from './description.ts';
import { eventLabel, headline, riskTag, truncate } from './headline.ts';
import type { LifecycleEvent } from './lifecycle.ts';
import {
  isoTime,
  offenders,
  participantLabel,
  victims,
  type Detection,
  type MitreReference,
  type Participant,
} from './model.ts';
import { oneLine, readableDetection } from './neutralize.ts';

export interface RenderedEmail {
  subject: string;
  body: string;
}

/** SNS takes subjects under 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;
/** A detection with hundreds of victims (or MITRE references) is summarized, not listed. */
const MAX_LISTED_PARTICIPANTS = 20;
const MAX_LISTED_MITRE = 20;

const TRANSLITERATIONS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'AE',
  ø: 'o',
  Ø: 'O',
  œ: 'oe',
  Œ: 'OE',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  þ: 'th',
  Þ: 'Th',
  ð: 'd',
  '\u2018': "'",
  '\u2019': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u2192': '->',
  '\u00A0': ' ',
};

/** Printable ASCII on one line: accents dropped from their letters, what has no ASCII form dropped. */
export function toAsciiLine(text: string): string {
  return text
    .replace(/[\s\u0085\u2028\u2029]+/g, ' ')
    .replace(/[^\x20-\x7E]/g, (c) => TRANSLITERATIONS[c] ?? c)
    .normalize('NFKD')
    .replace(/[^\x20-\x7E]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** `[autotap][ESCALATED HIGH 85] ICMP Tunnel: 10.0.1.7 -> 175.16.199.0`, under 100 printable ASCII characters. */
export function emailSubject(detection: Detection, event: LifecycleEvent): string {
  const d = readableDetection(detection);
  const prefix = `[autotap]${riskTag(d, event)} `;
  const rest = toAsciiLine(headline(d)) || toAsciiLine(d.type) || `detection ${d.id}`;
  return truncate(`${prefix}${rest}`, MAX_SUBJECT_LENGTH);
}

const describeParticipant = (p: Participant) => {
  const notes = [p.external === true ? 'external' : '', p.username ? `user ${p.username}` : ''].filter(Boolean);
  return notes.length ? `${participantLabel(p)} (${notes.join(', ')})` : participantLabel(p);
};

function participantLines(label: string, list: Participant[]): string[] {
  const lines = list.slice(0, MAX_LISTED_PARTICIPANTS).map((p) => `  ${label}: ${describeParticipant(p)}`);
  if (list.length > MAX_LISTED_PARTICIPANTS)
    lines.push(`  ... and ${list.length - MAX_LISTED_PARTICIPANTS} more ${label.toLowerCase()}s`);
  return lines;
}

const mitreLine = (kind: string, m: MitreReference) => `  ${kind} ${m.id} ${m.name}${m.url ? ` (${m.url})` : ''}`;

function mitreLines(kind: string, list: MitreReference[]): string[] {
  const lines = list.slice(0, MAX_LISTED_MITRE).map((m) => mitreLine(kind, m));
  if (list.length > MAX_LISTED_MITRE)
    lines.push(`  ... and ${list.length - MAX_LISTED_MITRE} more ${kind.toLowerCase()}s`);
  return lines;
}

const EVENT_SENTENCES: Record<LifecycleEvent, string> = {
  new: 'New detection.',
  escalated: 'This detection escalated.',
  closed: 'This detection was closed.',
  updated: 'This detection was updated.',
  stale: 'A repeated delivery of this detection.',
};

/**
 * The email for one detection: a subject SNS accepts and a plain-text body without Markdown. Every
 * value from the detection is neutralised (readableDetection) and indented under its heading, so that
 * nothing in a detection can add a line of its own; the only link is the appliance's.
 */
export function renderEmail(
  detection: Detection,
  event: LifecycleEvent,
  reasons: readonly string[] = [],
): RenderedEmail {
  const d = readableDetection(detection);
  const field = (name: string, value: string | undefined) => (value ? [`  ${name}: ${value}`] : []);
  const lines: string[] = [
    `${riskTag(d, event)} ${headline(d)}`,
    [EVENT_SENTENCES[event], reasons.length && event !== 'new' ? `(${oneLine(reasons.join('; '))})` : '']
      .filter(Boolean)
      .join(' '),
    '',
    'WHAT',
    ...field('Title', d.title),
    ...field('Type', d.type),
    ...field('Risk', `${d.riskScore} (${d.severity})`),
    ...field('Categories', d.categories.join(', ')),
    ...field('Status', d.status.replace('_', ' ')),
    ...field('Resolution', d.resolution?.replace(/_/g, ' ')),
    ...field('Assignee', d.assignee),
    ...field('Ticket', d.ticketId),
    ...field('Detection id', d.id),
  ];
  const from = offenders(d);
  const to = victims(d);
  if (from.length || to.length)
    lines.push('', 'WHO', ...participantLines('Offender', from), ...participantLines('Victim', to));
  lines.push(
    '',
    'WHEN (UTC)',
    ...field('Started', isoTime(d.startTime)),
    ...field('Ended', d.endTime === undefined ? 'ongoing' : isoTime(d.endTime)),
    ...field('Updated', isoTime(d.updateTime)),
  );
  if (d.mitreTactics.length || d.mitreTechniques.length) {
    lines.push(
      '',
      'MITRE ATT&CK',
      ...mitreLines('Tactic', d.mitreTactics),
      ...mitreLines('Technique', d.mitreTechniques),
    );
  }
  const description = descriptionToPlainText(d.description, d.applianceUrl);
  // Quoted: no description line can pass for one of autotap's own lines or fields.
  if (description) lines.push('', 'DESCRIPTION', ...description.split('\n').map((line) => `  | ${line}`.trimEnd()));
  if (d.url) lines.push('', `Open in ExtraHop: ${d.url}`);
  lines.push('', `-- autotap${eventLabel(event) ? ` (${eventLabel(event).toLowerCase()})` : ''}`);
  return { subject: emailSubject(d, event), body: `${lines.join('\n')}\n` };
}
