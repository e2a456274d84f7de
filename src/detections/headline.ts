import { participantsSummary, type Detection } from './model.ts';
import type { LifecycleEvent } from './lifecycle.ts';

/** The words a message about `event` leads with; a first sighting needs none. */
export function eventLabel(event: LifecycleEvent): string {
  switch (event) {
    case 'new':
      return '';
    case 'escalated':
      return 'ESCALATED';
    case 'closed':
      return 'CLOSED';
    case 'updated':
      return 'UPDATED';
    case 'stale':
      return 'STALE';
  }
}

/** `[ESCALATED HIGH 85]`: what a reader scans for first. */
export function riskTag(d: Detection, event: LifecycleEvent): string {
  return `[${[eventLabel(event), d.severity.toUpperCase(), String(d.riskScore)].filter(Boolean).join(' ')}]`;
}

/** `ICMP Tunnel: 10.0.1.7 -> 175.16.199.0 +1` */
export function headline(d: Detection): string {
  const who = participantsSummary(d);
  return who ? `${d.title}: ${who}` : d.title;
}

/** Cuts `text` to `max` characters, ending with `...` when it had to cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 3) return '.'.repeat(Math.max(0, max));
  // Never leave half of a surrogate pair before the dots.
  let cut = text.slice(0, max - 3);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}...`;
}
