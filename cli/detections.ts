import { readFileSync } from 'node:fs';
import { headline, riskTag } from '../src/detections/headline.ts';
import { isoTime, offenders, participantLabel, victims, type Detection } from '../src/detections/model.ts';
import { InvalidDetection, type RejectedDetection } from '../src/detections/normalize.ts';
import { previewDetections, type DetectionPreview, type PreviewDecision } from '../src/detections/preview.ts';
import type { SnsPublishEntry } from '../src/detections/publish.ts';
import type { RenderedEmail } from '../src/detections/render-email.ts';
import type { AmazonQNotification, SlackBlock, SlackMessage } from '../src/detections/render-slack.ts';
import { parseCommandArgs } from './args.ts';
import { CommandError, UsageError } from './errors.ts';
import { didYouMean } from './suggest.ts';
import { table } from './table.ts';

/** `autotap detections ...`: what the detection fan-out would send, computed locally without AWS. */

export function readDetectionsFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CommandError(`${file}: no such file`);
    if (code === 'EISDIR') throw new CommandError(`${file}: is a directory, expected a JSON file`);
    throw new CommandError(`${file}: cannot be read (${code ?? (error as Error).name})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CommandError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

function riskOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 99)
    throw new UsageError(`--min-risk: expected an integer from 1 to 99, got "${value}"`);
  return n;
}

const SNS_TOPICS = ['detections', 'email'] as const;

/** The one document `--json` prints: each SNS element is one PublishBatch call. */
export function previewDocument(preview: DetectionPreview) {
  return {
    detections: preview.detections,
    sns: SNS_TOPICS.flatMap((topic) => preview.sns[topic].map((entries) => ({ topic, entries }))),
    email: preview.email.map(({ subject, body }) => ({ subject, body })),
    slack: preview.slack.map((s) => s.message),
  };
}

const indent = (text: string, by = '  ') =>
  text
    .split('\n')
    .map((line) => (line ? `${by}${line}` : by.trimEnd()))
    .join('\n');

function attributeRows(d: Detection, decision: PreviewDecision | undefined): string[][] {
  const names = (list: ReturnType<typeof offenders>) => list.map(participantLabel).join(', ') || '-';
  return [
    ['id', d.id],
    ['type', d.type],
    ['risk', `${d.riskScore} (${d.severity})`],
    ['status', d.status.replace('_', ' ')],
    ['categories', d.categories.join(', ') || '-'],
    ['offenders', names(offenders(d))],
    ['victims', names(victims(d))],
    ['started (UTC)', `${isoTime(d.startTime)}${d.endTime === undefined ? ' (ongoing)' : ''}`],
    ['modified (UTC)', isoTime(d.modTime)],
    ['MITRE', [...d.mitreTactics, ...d.mitreTechniques].map((m) => m.id).join(', ') || '-'],
    ['link', d.url ?? '- (no appliance URL: pass --appliance-url)'],
    ['event', decision ? `${decision.event}${decision.notify ? ', notified' : ', recorded only'}` : '-'],
    ['why', decision?.reasons.join('; ') || '-'],
  ];
}

const describeAttributes = (entry: SnsPublishEntry) =>
  Object.entries(entry.MessageAttributes)
    .map(([name, a]) => `${name}=${a.StringValue}${a.DataType === 'Number' ? ' (Number)' : ''}`)
    .join(', ');

/** Which email and which SNS entries belong to which update: the preview emits them in decision order. */
function pairUp(preview: DetectionPreview) {
  const detectionEntries = preview.sns.detections.flat();
  const emailEntries = preview.sns.email.flat();
  let changed = 0;
  let notified = 0;
  return preview.decisions.map((decision) => {
    const detection = preview.detections.find((d) => d.id === decision.id && d.modTime === decision.modTime)!;
    const machine = decision.event === 'stale' ? undefined : detectionEntries[changed++];
    let email: { entry: SnsPublishEntry | undefined; rendered: RenderedEmail | undefined } | undefined;
    if (decision.event !== 'stale' && decision.notify) {
      email = { entry: emailEntries[notified], rendered: preview.email[notified] };
      notified++;
    }
    return { detection, decision, machine, email };
  });
}

export function renderPreviewText(preview: DetectionPreview): string {
  const out: string[] = [];
  const slackByDetection = new Map<string, number>();
  preview.slack.forEach((s, i) => s.detectionIds.forEach((id) => slackByDetection.set(id, i)));
  const printedSlack = new Set<number>();

  pairUp(preview).forEach(({ detection: d, decision, machine, email }, n) => {
    out.push(`== ${n + 1}. ${riskTag(d, decision.event)} ${headline(d)}`, '');
    out.push(indent(table(['attribute', 'value'], attributeRows(d, decision))), '');
    out.push('  SNS');
    out.push(
      machine
        ? `    detections topic: 1 entry, attributes ${describeAttributes(machine)}`
        : '    detections topic: nothing (a repeated delivery)',
    );
    out.push(
      email?.entry
        ? `    email topic: 1 entry, attributes ${describeAttributes(email.entry)}`
        : '    email topic: nothing (not worth a notification)',
    );
    out.push('');
    if (email?.rendered) {
      out.push(
        '  Email',
        `    Subject: ${email.rendered.subject}`,
        '',
        indent(email.rendered.body.trimEnd(), '    | '),
        '',
      );
    }
    const slackIndex = slackByDetection.get(d.id);
    const post = slackIndex === undefined || !email ? undefined : preview.slack[slackIndex];
    if (post && slackIndex !== undefined) {
      if (post.detectionIds.length === 1) {
        out.push(
          `  Slack (message ${slackIndex + 1} of ${preview.slack.length})`,
          indent(JSON.stringify(post.message, null, 2), '    '),
          '',
        );
        printedSlack.add(slackIndex);
      } else {
        out.push(`  Slack: folded into the roll-up, message ${slackIndex + 1} of ${preview.slack.length} (below)`, '');
      }
    } else if (email) {
      out.push('  Slack: nothing (below the Slack minimum risk)', '');
    }
  });

  preview.slack.forEach((post, i) => {
    if (printedSlack.has(i)) return;
    out.push(
      `== Slack roll-up (message ${i + 1} of ${preview.slack.length}, ${post.detectionIds.length} detections)`,
      indent(JSON.stringify(post.message, null, 2), '    '),
      '',
    );
  });

  const batches = (topic: 'detections' | 'email') => preview.sns[topic].length;
  out.push(
    `${preview.detections.length} detection(s), ${preview.email.length} notification(s). ` +
      `SNS: ${batches('detections')} PublishBatch call(s) to the detections topic, ${batches('email')} to the email topic. ` +
      `Slack: ${preview.slack.length} message(s). Nothing was sent.`,
  );
  return out.join('\n');
}

function describeRejected(rejected: readonly RejectedDetection[]): string {
  return rejected.map((r) => `  [${r.index}]${r.id ? ` id ${r.id}` : ''}: ${r.error}`).join('\n');
}

async function runPreview(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('detections preview', {
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'appliance-url': { type: 'string' },
      'min-risk': { type: 'string' },
      'slack-format': { type: 'string' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError('detections preview: FILE is required');
  if (extra.length > 0) throw new UsageError(`detections preview: one FILE expected, got also "${extra.join(' ')}"`);
  const format = values['slack-format'];
  if (format !== undefined && format !== 'block-kit' && format !== 'amazon-q')
    throw new UsageError(`--slack-format: expected block-kit or amazon-q, got "${format}"`);
  const applianceUrl = values['appliance-url'];
  if (applianceUrl !== undefined && !/^https?:\/\/[^/\s]+/i.test(applianceUrl))
    throw new UsageError(`--appliance-url: expected a URL like https://extrahop.example.com, got "${applianceUrl}"`);
  const minRiskScore = riskOption(values['min-risk']);

  const body = readDetectionsFile(file);
  let preview: DetectionPreview;
  try {
    preview = previewDetections(body, {
      ...(applianceUrl ? { applianceUrl } : {}),
      ...(minRiskScore === undefined ? {} : { minRiskScore }),
      ...(format ? { slackFormat: format } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidDetection) throw new CommandError(`${file}: ${error.message}`);
    throw error;
  }
  const total = preview.detections.length + preview.rejected.length;
  if (total === 0) throw new CommandError(`${file}: no detections in the file (an empty array)`);
  if (preview.detections.length === 0) {
    throw new CommandError(
      `${file}: no valid detection (${preview.rejected.length} rejected):\n${describeRejected(preview.rejected)}`,
    );
  }

  process.stdout.write(
    values.json ? `${JSON.stringify(previewDocument(preview), null, 2)}\n` : `${renderPreviewText(preview)}\n`,
  );
  if (preview.rejected.length > 0) {
    process.stderr.write(
      `autotap: ${file}: ${preview.rejected.length} of ${total} detections rejected:\n${describeRejected(preview.rejected)}\n`,
    );
    return 1;
  }
  return 0;
}

export async function runDetections(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'preview':
      return runPreview(rest);
    case undefined:
      throw new UsageError('detections: expected a subcommand (preview)');
    default:
      throw new UsageError(`detections: unknown subcommand "${subcommand}"${didYouMean(subcommand, ['preview'])}`);
  }
}

/** A Block Kit message as a few lines of text, for the demo. */
export function sketchSlack(message: SlackMessage | AmazonQNotification, maxLines = 14): string {
  if (!('blocks' in message))
    return [message.content.title, ...message.content.description.split('\n')].slice(0, maxLines).join('\n');
  const lines: string[] = [];
  const text = (block: SlackBlock): string[] => {
    switch (block.type) {
      case 'header':
        return [`# ${block.text.text}`];
      case 'section':
        return [
          ...(block.fields ?? []).map((f) => f.text.replace('\n', ': ').replace(/\*/g, '')),
          ...(block.text ? block.text.text.split('\n') : []),
        ];
      case 'context':
        return block.elements.map((e) => e.text);
      case 'actions':
        return block.elements.map((e) => `[${e.text.text}] -> ${e.url}`);
      case 'divider':
        return ['---'];
    }
  };
  // Link targets and entities make a terminal line unreadable: the sketch shows what a reader sees.
  const readable = (line: string) =>
    line
      .replace(/<[^|>\s]+\|([^>]+)>/g, '$1')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  for (const block of message.blocks) lines.push(...text(block).map(readable));
  const kept = lines.filter((l) => l.trim() !== '');
  return kept.length > maxLines
    ? [...kept.slice(0, maxLines - 1), `... (${kept.length - maxLines + 1} more lines)`].join('\n')
    : kept.join('\n');
}

/** The detections part of `autotap demo`: the samples through the fan-out, two renderings shown. */
export function renderDetectionsDemo(file: string, applianceUrl: string): string {
  const preview = previewDetections(readDetectionsFile(file), { applianceUrl });
  const paired = pairUp(preview);
  const out: string[] = [
    table(
      ['detection', 'risk', 'event', 'notified', 'headline'],
      paired.map(({ detection: d, decision }) => [
        d.id,
        `${d.riskScore} ${d.severity}`,
        decision.event,
        decision.notify ? 'yes' : `no: ${decision.reasons.at(-1) ?? ''}`,
        headline(d),
      ]),
    ),
    '',
    `SNS: ${preview.sns.detections.flat().length} message(s) to the detections topic, ${preview.sns.email.flat().length} to the email topic. Slack: ${preview.slack.length} message(s).`,
  ];
  const first = paired.find((p) => p.email?.rendered);
  if (first?.email?.rendered) {
    const body = first.email.rendered.body.trimEnd().split('\n');
    const shown = body.slice(0, 16);
    out.push(
      '',
      `Email for detection ${first.detection.id}:`,
      `  Subject: ${first.email.rendered.subject}`,
      indent(shown.join('\n'), '  | '),
    );
    if (body.length > shown.length) out.push(`  | ... (${body.length - shown.length} more lines)`);
  }
  const post =
    preview.slack.find((s) => s.detectionIds.length === 1 && s.detectionIds[0] !== first?.detection.id) ??
    preview.slack[0];
  if (post)
    out.push(
      '',
      `Slack message for detection ${post.detectionIds.join(', ')}:`,
      indent(sketchSlack(post.message), '  | '),
    );
  return out.join('\n');
}
