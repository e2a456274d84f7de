/**
 * A tiny XML writer: responses are built as strings from nested `element` calls, so escaping
 * happens in one place.
 */

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

/** Raw markup, as opposed to text: only what `element` produced may be passed as children. */
export interface Markup {
  readonly xml: string;
}

export type Child = Markup | undefined | null | false;

/** An element with text content; absent values produce no element, as AWS omits unset fields. */
export function text(name: string, value: string | number | boolean | undefined | null): Markup | undefined {
  if (value === undefined || value === null) return undefined;
  return { xml: `<${name}>${escapeXml(String(value))}</${name}>` };
}

export function element(name: string, children: Child[], attributes: Record<string, string> = {}): Markup {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(value)}"`)
    .join('');
  const inner = children.map((child) => (child ? child.xml : '')).join('');
  return { xml: `<${name}${attrs}>${inner}</${name}>` };
}

/** A list as the query protocols render it: `<name><item>..</item></name>` (EC2) or `member` (SNS). */
export function list<T>(name: string, items: readonly T[], render: (item: T) => Child[], itemName = 'item'): Markup {
  return element(
    name,
    items.map((item) => element(itemName, render(item))),
  );
}

export function document(root: Markup): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.xml}`;
}
