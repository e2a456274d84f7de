import { resolveApplianceLink } from './model.ts';
import { isApplianceLink, multiline } from './neutralize.ts';

/**
 * A link to anywhere but the appliance is shown as its text followed by its address, never as a link
 * whose label hides where it goes.
 */
const VISIBLE_TARGET = /^https?:\/\/\S+$/i;

/**
 * Detection descriptions are Markdown written by the appliance: links to device pages (relative on
 * older firmware), backslash-escaped dots in link text, bold, headings, lists and inline code.
 * Email wants plain text, Slack its own mrkdwn; both start from the same reading.
 */

// Private-use characters stand in for escaped characters while the formatting is rewritten.
const HOLD = '\uE000';
const HOLD_END = '\uE001';

function holdEscapes(markdown: string): { text: string; held: string[] } {
  const held: string[] = [];
  const text = multiline(markdown)
    .replace(/[\uE000-\uE002]/g, '')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, (_, c: string) => {
      held.push(c);
      return `${HOLD}${held.length - 1}${HOLD_END}`;
    });
  return { text, held };
}

function releaseEscapes(text: string, held: string[], encode: (c: string) => string = (c) => c): string {
  return text.replace(/\uE000(\d+)\uE001/g, (_, i: string) => encode(held[Number(i)] ?? ''));
}

const LINK = /!?\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
const AUTOLINK = /<((?:https?|mailto):[^>\s]+)>/g;

/** Strips emphasis and code markers; `keep` receives the inner text. */
function stripInline(text: string, bold: (inner: string) => string, code: (inner: string) => string): string {
  return text
    .replace(/```[^\n]*\n?([\s\S]*?)```/g, (_, inner: string) => code(inner.replace(/\n$/, '')))
    .replace(/`([^`\n]+)`/g, (_, inner: string) => code(inner))
    .replace(/\*\*(?=\S)([^*]*?\S)\*\*/g, (_, inner: string) => bold(inner))
    .replace(/(^|[^\w])__(?=\S)([^_]*?\S)__(?!\w)/g, (_, pre: string, inner: string) => pre + bold(inner))
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, (_, pre: string, inner: string) => `${pre}${inner}`)
    .replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, (_, pre: string, inner: string) => `${pre}${inner}`)
    .replace(/~~(?=\S)([^~]*?\S)~~/g, '$1');
}

function blockLines(text: string, heading: (inner: string) => string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/, (_, inner: string) => heading(inner))
        .replace(/^\s{0,3}#{1,6}$/, '')
        .replace(/^(\s*)[*+-]\s+/, '$1- ')
        .replace(/^\s{0,3}>\s?/, '')
        .replace(/^\s{0,3}([-*_])(\s*\1){2,}\s*$/, ''),
    )
    .join('\n');
}

function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** `*` and a backtick are legal in a URL but read as markers in plain text; percent-encoded they are neither. */
function plainUrl(url: string): string {
  return url.replace(/\*/g, '%2A').replace(/`/g, '%60');
}

const HEADING_MARKERS = /^[ \t]{0,3}(?:#{1,6}(?=[ \t]|$)[ \t]*)+/gm;
const HEADING_MARKERS_AT_START = /^(?:#{1,6}(?=\s|$)[ \t]*)+/;

/**
 * Markers that did not pair up are noise in plain text. This runs once the links are back in place:
 * a link that renders as nothing (or as its label) can leave a `#` at the start of a line, or two
 * stars side by side, that were not markers in the Markdown.
 */
function dropStrayMarkers(text: string): string {
  return text.replace(/`/g, '').replace(/\*\*/g, '').replace(HEADING_MARKERS, '');
}

/** Markdown to plain text: `[text](url)` becomes `text (url)`, relative links absolute, no markers left. */
export function descriptionToPlainText(markdown: string, applianceUrl?: string): string {
  const { text, held } = holdEscapes(markdown);
  const links: string[] = [];
  const linked = text
    .replace(LINK, (_, label: string, url: string) => {
      const target = resolveApplianceLink(url, applianceUrl);
      // Escapes stay held in the label so that they come out literally, like everywhere else.
      const heldLabel = stripInline(
        label,
        (x) => x,
        (x) => x,
      ).trim();
      const plainLabel = releaseEscapes(heldLabel, held);
      // Plain text shows every address as it is: the reader sees where a link goes.
      const usable = VISIBLE_TARGET.test(target);
      links.push(
        !usable
          ? heldLabel
          : plainLabel && plainLabel !== target
            ? `${heldLabel} (${plainUrl(target)})`
            : plainUrl(target),
      );
      return `${HOLD}L${links.length - 1}${HOLD_END}`;
    })
    .replace(AUTOLINK, (_, url: string) => {
      links.push(VISIBLE_TARGET.test(url) ? plainUrl(url) : '');
      return `${HOLD}L${links.length - 1}${HOLD_END}`;
    });
  const plain = blockLines(
    stripInline(
      linked,
      (x) => x,
      (x) => x,
    ),
    (x) => x,
  );
  const withLinks = dropStrayMarkers(plain.replace(/\uE000L(\d+)\uE001/g, (_, i: string) => links[Number(i)] ?? ''));
  let out = tidy(releaseEscapes(withLinks, held));
  // Trimming can bring an indented `#` to the start of the text.
  while (HEADING_MARKERS_AT_START.test(out)) out = tidy(out.replace(HEADING_MARKERS_AT_START, ''));
  return out;
}

/** Escapes the three characters Slack's mrkdwn reserves. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Markdown to Slack mrkdwn: `<url|text>` links to the appliance (any other as `text (url)`), `*bold*`, headings in bold,
 * `&<>` escaped, so that no text can become a mention (`<!channel>`, `<@U...>`) or a link of its own.
 */
export function descriptionToSlack(markdown: string, applianceUrl?: string): string {
  const { text, held } = holdEscapes(markdown);
  const links: string[] = [];
  const slackLink = (url: string, label: string) => {
    const target = resolveApplianceLink(url, applianceUrl);
    if (!isApplianceLink(target, applianceUrl)) {
      // Elsewhere: the label and the address as text, so no label can hide where it goes.
      if (!VISIBLE_TARGET.test(target)) return slackEscape(label);
      return label && label !== target ? `${slackEscape(label)} (${slackEscape(target)})` : slackEscape(target);
    }
    // `|` and `>` end a Slack link early.
    const safeUrl = target.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
    return label ? `<${safeUrl}|${slackEscape(label).replace(/\|/g, '/')}>` : `<${safeUrl}>`;
  };
  const linked = text
    .replace(LINK, (_, label: string, url: string) => {
      links.push(
        slackLink(
          url,
          releaseEscapes(
            stripInline(
              label,
              (x) => x,
              (x) => x,
            ),
            held,
          ).trim(),
        ),
      );
      return `${HOLD}L${links.length - 1}${HOLD_END}`;
    })
    .replace(AUTOLINK, (_, url: string) => {
      links.push(slackLink(url, ''));
      return `${HOLD}L${links.length - 1}${HOLD_END}`;
    });
  const BOLD_OPEN = '\uE002';
  const bold = (x: string) => `${BOLD_OPEN}${x}${BOLD_OPEN}`;
  const body = slackEscape(stripInline(blockLines(linked, bold), bold, (x) => `\`${x}\``))
    .replace(/\*\*/g, '')
    .replace(/\uE002/g, '*');
  return tidy(
    releaseEscapes(
      body.replace(/\uE000L(\d+)\uE001/g, (_, i: string) => links[Number(i)] ?? ''),
      held,
      slackEscape,
    ),
  );
}
