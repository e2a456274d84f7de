import { ApiError } from './errors.ts';

/**
 * The flat parameters of an AWS Query request (`Filter.1.Value.2=x`), with readers for the
 * nested lists and maps the SDK serializes into dotted names.
 */
export type Params = ReadonlyMap<string, string>;

/**
 * Decodes a form body strictly: URLSearchParams silently replaces broken percent escapes,
 * which would let a corrupted request look valid.
 */
export function parseForm(body: string): Map<string, string> {
  const params = new Map<string, string>();
  if (body.trim() === '') return params;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new ApiError(
        'MalformedQueryString',
        `The request body is not valid form encoding near "${pair.slice(0, 40)}"`,
      );
    }
    if (key === '') throw new ApiError('MalformedQueryString', 'The request body has a parameter without a name');
    params.set(key, value);
  }
  return params;
}

/** Members of `prefix` whose names continue with `.N` (AWS lists are 1-based), by index. */
function indexed(params: Params, prefix: string): Map<number, Map<string, string>> {
  const groups = new Map<number, Map<string, string>>();
  const head = `${prefix}.`;
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf('.');
    const indexText = dot === -1 ? rest : rest.slice(0, dot);
    if (!/^[1-9]\d{0,5}$/.test(indexText)) {
      throw new ApiError('InvalidParameterValue', `The parameter ${key} has an invalid list index "${indexText}"`);
    }
    const index = Number(indexText);
    let group = groups.get(index);
    if (!group) groups.set(index, (group = new Map<string, string>()));
    group.set(dot === -1 ? '' : rest.slice(dot + 1), value);
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
}

/** `InstanceId.1=a&InstanceId.2=b` → `['a', 'b']`. */
export function stringList(params: Params, prefix: string): string[] {
  return [...indexed(params, prefix)].map(([index, group]) => {
    const value = group.get('');
    if (value === undefined)
      throw new ApiError('InvalidParameterValue', `The parameter ${prefix}.${index} has no value`);
    return value;
  });
}

/** `Filter.1.Name=x&Filter.1.Value.1=y` → `[Map{Name: x, Value.1: y}]`. */
export function structList(params: Params, prefix: string): Map<string, string>[] {
  return [...indexed(params, prefix).values()];
}

export function optionalString(params: Params, name: string): string | undefined {
  return params.get(name);
}

export function requiredString(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') {
    throw new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
  }
  return value;
}

export function optionalInteger(params: Params, name: string): number | undefined {
  const text = params.get(name);
  if (text === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(text)) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${text}) for parameter ${name} is invalid. Expected an integer.`,
    );
  }
  return Number(text);
}

export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const text = params.get(name);
  if (text === undefined) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ApiError(
    'InvalidParameterValue',
    `Value (${text}) for parameter ${name} is invalid. Expected true or false.`,
  );
}
