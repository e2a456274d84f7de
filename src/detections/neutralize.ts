import type { Detection, MitreReference, Participant } from './model.ts';

/**
 * Text from a detection is partly written by whoever generates the traffic (host names, user names,
 * URLs, titles built from them). Before people read it in e-mail or Slack, characters that could make
 * it say something else are neutralised:
 * - line breaks inside a one-line field (title, host name, user name, ...) would start a new line of
 *   the message, e.g. a forged `Bcc:` or "Open in ExtraHop: <elsewhere>" line;
 * - other control characters (C0, DEL, C1) can do the same in some readers, or hide text;
 * - Unicode bidi controls (U+202A-U+202E, U+2066-U+2069, LRM/RLM/ALM) reorder what is displayed,
 *   so `exe.pdf` can be shown for `fdp.exe`;
 * - zero-width and other invisible characters make two different names look the same.
 * Lone surrogates and the noncharacters U+FFFE/U+FFFF become U+FFFD, so every channel can carry the text.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const LINE_BREAKS = /\r\n|[\n\r\u000B\u000C\u0085\u2028\u2029]/g;
// C0 and C1 controls and DEL, without \n (handled above) and \t.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F]/g;
export const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
export const INVISIBLES = /[\u00AD\u180E\u200B-\u200D\u2060-\u2064\uFEFF]/g;

function visibleOnly(text: string): string {
  // U+FFFE and U+FFFF are not characters (SQS refuses them): shown as U+FFFD like lone surrogates.
  return text
    .toWellFormed()
    .replace(/[\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(BIDI_CONTROLS, '')
    .replace(INVISIBLES, '');
}

/** One line of plain text: every line break, tab and control character becomes a space; runs of spaces collapse. */
export function oneLine(text: string): string {
  return visibleOnly(text)
    .replace(LINE_BREAKS, ' ')
    .replace(/\t/g, ' ')
    .replace(CONTROLS, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Text of several lines: line breaks become `\n`, tabs stay, every other control character becomes a space. */
export function multiline(text: string): string {
  return visibleOnly(text).replace(LINE_BREAKS, '\n').replace(CONTROLS, ' ');
}

/** The origin of an absolute http(s) URL without credentials or whitespace; undefined for anything else. */
export function linkOrigin(url: string): string | undefined {
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.username || parsed.password ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/** MITRE ATT&CK references link to MITRE's own site only. */
export const MITRE_ORIGIN = 'https://attack.mitre.org';

/** Whether a link may be shown as a link: it points at the appliance the detection came from (same origin). */
export function isApplianceLink(url: string, applianceUrl: string | undefined): boolean {
  const origin = linkOrigin(url);
  return origin !== undefined && applianceUrl !== undefined && origin === linkOrigin(applianceUrl);
}

/**
 * A detection as people may read it, whoever produced it: every one-line field on one line, no
 * controls, bidi or invisible characters anywhere, the deep link only when it points at the appliance
 * and MITRE links only to MITRE. The renderers start from this.
 */
export function readableDetection(d: Detection): Detection {
  const optional = (value: string | undefined) => (value === undefined ? undefined : oneLine(value));
  const participant = (p: Participant): Participant => {
    const out: Participant = { role: oneLine(p.role), objectType: oneLine(p.objectType) };
    for (const key of ['objectId', 'ipAddress', 'hostname', 'username'] as const) {
      const value = optional(p[key]);
      if (value) out[key] = value;
    }
    if (p.external !== undefined) out.external = p.external;
    return out;
  };
  const mitre = (m: MitreReference): MitreReference =>
    m.url !== undefined && linkOrigin(m.url) === MITRE_ORIGIN
      ? { id: oneLine(m.id), name: oneLine(m.name), url: m.url }
      : { id: oneLine(m.id), name: oneLine(m.name) };
  const out: Detection = {
    ...d,
    type: oneLine(d.type),
    title: oneLine(d.title),
    description: multiline(d.description),
    categories: d.categories.map(oneLine),
    participants: d.participants.map(participant),
    mitreTactics: d.mitreTactics.map(mitre),
    mitreTechniques: d.mitreTechniques.map(mitre),
  };
  for (const key of ['resolution', 'assignee', 'ticketId', 'applianceId'] as const) {
    const value = optional(d[key]);
    if (value) out[key] = value;
    else delete out[key];
  }
  if (out.url !== undefined && !isApplianceLink(out.url, d.applianceUrl)) delete out.url;
  return out;
}
