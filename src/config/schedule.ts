/**
 * EventBridge schedule expressions, checked as EventBridge documents them, so that a typo fails
 * `serverless package` with a message naming the field instead of failing the deploy (or never
 * running): https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 *
 * - `rate(value unit)`: a positive whole number and minute(s), hour(s) or day(s); the unit is singular
 *   for 1 and plural above (`rate(1 hours)` and `rate(5 hour)` are refused).
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields, each with its own values
 *   and wildcards; one of Day-of-month and Day-of-week must be `?`.
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  /** The wildcards the field allows besides digits, `,`, `-`, `*` and `/` (`/` is not allowed in Day-of-week). */
  names?: readonly string[];
  question?: boolean;
  slash: boolean;
  /** Day-of-month: `L`, `W` and `NW`. Day-of-week: `L`, `NL` and `N#M`. */
  special?: 'day-of-month' | 'day-of-week';
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const CRON_FIELDS: readonly CronField[] = [
  { name: 'Minutes', min: 0, max: 59, slash: true },
  { name: 'Hours', min: 0, max: 23, slash: true },
  { name: 'Day-of-month', min: 1, max: 31, question: true, slash: true, special: 'day-of-month' },
  { name: 'Month', min: 1, max: 12, names: MONTHS, slash: true },
  { name: 'Day-of-week', min: 1, max: 7, names: WEEKDAYS, question: true, slash: false, special: 'day-of-week' },
  { name: 'Year', min: 1970, max: 2199, slash: true },
];

const EXPECTED_VALUES: Record<string, string> = {
  Minutes: '0-59',
  Hours: '0-23',
  'Day-of-month': '1-31, L, W, ?',
  Month: '1-12 or JAN-DEC',
  'Day-of-week': '1-7 or SUN-SAT, L, #, ?',
  Year: '1970-2199',
};

function valueOf(field: CronField, text: string): number | undefined {
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return field.min + index;
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : undefined;
}

/** One comma-separated part of a field: `*`, a value, a range, either with `/step`, or a special form. */
function partProblem(field: CronField, part: string): string | undefined {
  const bad = () =>
    `${field.name} field "${part}" is not valid (expected ${EXPECTED_VALUES[field.name]} with the wildcards EventBridge allows there)`;
  if (field.special === 'day-of-month' && /^(L|\d{1,2}W|LW)$/i.test(part)) {
    return part.toUpperCase() === 'L' || part.toUpperCase() === 'LW' || valueOf(field, part.slice(0, -1)) !== undefined
      ? undefined
      : bad();
  }
  if (field.special === 'day-of-week') {
    const nth = /^([A-Za-z]{3}|\d)#([1-5])$/.exec(part);
    if (nth) return valueOf(field, nth[1]!) !== undefined ? undefined : bad();
    const last = /^([A-Za-z]{3}|\d)?L$/i.exec(part);
    if (last) return last[1] === undefined || valueOf(field, last[1]) !== undefined ? undefined : bad();
  }
  const [range, step, ...rest] = part.split('/');
  if (rest.length > 0 || range === undefined || range === '') return bad();
  if (step !== undefined && (!field.slash || !/^\d{1,4}$/.test(step) || Number(step) < 1)) return bad();
  if (range === '*') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2 || bounds.some((b) => valueOf(field, b) === undefined)) return bad();
  return undefined;
}

function cronProblem(fields: string): string | undefined {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== CRON_FIELDS.length) {
    return `expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${parts.length}`;
  }
  for (const [index, field] of CRON_FIELDS.entries()) {
    const text = parts[index]!;
    if (text === '?') {
      if (!field.question) return `${field.name} field "?" is not valid (only Day-of-month and Day-of-week take ?)`;
      continue;
    }
    if (field.special === 'day-of-week' && text.includes('#') && text.includes(',')) {
      return `Day-of-week field "${text}": a # expression must stand alone`;
    }
    for (const part of text.split(',')) {
      const problem = partProblem(field, part);
      if (problem) return problem;
    }
  }
  const dayOfMonth = parts[2]!;
  const dayOfWeek = parts[4]!;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return `Day-of-month "${dayOfMonth}" and Day-of-week "${dayOfWeek}": exactly one of them must be ?`;
  }
  return undefined;
}

/** Why `expression` is not an EventBridge schedule expression, or undefined when it is one. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]!);
    if (!match)
      return `rate(${rate[1]}): expected rate(<value> <unit>) with unit minute(s), hour(s) or day(s), e.g. rate(5 minutes)`;
    const value = Number(match[1]);
    const unit = match[2]!;
    if (!Number.isSafeInteger(value) || value < 1) return `rate(${rate[1]}): the value must be a positive whole number`;
    const plural = unit.endsWith('s');
    if (value === 1 && plural)
      return `rate(${rate[1]}): a value of 1 takes the singular unit (rate(1 ${unit.slice(0, -1)}))`;
    if (value > 1 && !plural)
      return `rate(${rate[1]}): a value above 1 takes the plural unit (rate(${value} ${unit}s))`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const problem = cronProblem(cron[1]!);
    return problem === undefined ? undefined : `cron(${cron[1]}): ${problem}`;
  }
  return 'expected an EventBridge schedule like rate(5 minutes) or cron(0 */6 * * ? *)';
}
