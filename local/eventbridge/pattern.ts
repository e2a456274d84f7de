/**
 * EventBridge's event pattern matching, written from its documentation and independent of the code
 * it checks (the packaged patterns, the handlers): the local AWS routes events with it
 * (local/eventbridge/router.ts), and the validators check the patterns' samples with it: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html.
 *
 * - Every field of the pattern must match; a leaf is a list of values or comparisons, any one of
 *   which matches. An event field that is a list matches when any of its items does.
 * - Comparisons: exact values, prefix, suffix, equals-ignore-case, wildcard, anything-but (of values,
 *   a prefix, a suffix or equals-ignore-case), numeric, exists. Every comparison except
 *   `exists: false` needs the field to be present. `$or` lists patterns of which one must match
 *   the object it stands in. An operator this module does not know throws,
 *   so a pattern is never reported as matching by accident.
 */

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const wildcard = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  ).test(value);

function numeric(conditions: unknown[], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i < conditions.length; i += 2) {
    const [operator, bound] = [conditions[i], conditions[i + 1] as number];
    const ok = {
      '<': value < bound,
      '<=': value <= bound,
      '=': value === bound,
      '>': value > bound,
      '>=': value >= bound,
    }[operator as string];
    if (ok === undefined) throw new Error(`numeric: unknown operator ${JSON.stringify(operator)}`);
    if (!ok) return false;
  }
  return true;
}

function stringComparison(kind: 'prefix' | 'suffix', operand: unknown, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const [text, ignoreCase] =
    isObject(operand) && 'equals-ignore-case' in operand
      ? [String(operand['equals-ignore-case']), true]
      : [String(operand), false];
  const [subject, wanted] = ignoreCase ? [value.toLowerCase(), text.toLowerCase()] : [value, text];
  return kind === 'prefix' ? subject.startsWith(wanted) : subject.endsWith(wanted);
}

/** Whether one comparison (a list item of a pattern leaf) matches one present scalar value. */
function comparisonMatches(comparison: unknown, value: unknown): boolean {
  if (!isObject(comparison)) return comparison === value;
  const keys = Object.keys(comparison);
  if (keys.length !== 1) throw new Error(`a comparison has one operator: ${JSON.stringify(comparison)}`);
  const [operator] = keys as [string];
  const operand = comparison[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return stringComparison(operator, operand, value);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(operand).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcard(String(operand), value);
    case 'numeric':
      return numeric(operand as unknown[], value);
    case 'anything-but': {
      if (isObject(operand)) return !comparisonMatches(operand, value);
      return !(Array.isArray(operand) ? operand : [operand]).includes(value);
    }
    default:
      throw new Error(`comparison operator ${operator} is not supported here`);
  }
}

function leafMatches(leaf: unknown[], present: boolean, value: unknown): boolean {
  return leaf.some((comparison) => {
    if (isObject(comparison) && 'exists' in comparison) return comparison.exists === present;
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((item) => comparisonMatches(comparison, item));
  });
}

/** Whether `event` matches `pattern` as EventBridge decides it. */
export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    // `$or`: the object matches when any of the listed patterns matches it.
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length === 0) throw new Error('$or: expected a list of patterns');
      return rule.some((alternative) => isObject(alternative) && matchesPattern(alternative, event));
    }
    if (key.startsWith('$')) throw new Error(`${key} is not supported here`);
    const present = Object.hasOwn(event, key);
    const value = event[key];
    if (Array.isArray(rule)) return leafMatches(rule, present, value);
    if (!isObject(rule))
      throw new Error(`pattern field ${key}: expected a list or an object, got ${JSON.stringify(rule)}`);
    const items = Array.isArray(value) ? value : [value];
    return items.some((item) => isObject(item) && matchesPattern(rule, item));
  });
}

/** The field paths a pattern constrains (`detail.state`), for checking them against an event's schema. */
export function patternPaths(pattern: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(pattern).flatMap(([key, rule]) => {
    // The alternatives of `$or` constrain fields of the object it stands in.
    if (key === '$or' && Array.isArray(rule))
      return rule.flatMap((alternative) => patternPaths(alternative as Record<string, unknown>, prefix));
    return Array.isArray(rule) ? [[...prefix, key]] : patternPaths(rule as Record<string, unknown>, [...prefix, key]);
  });
}
