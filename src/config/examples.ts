/**
 * The placeholder values the shipped configuration (config/dev.yml) and the documentation use:
 * resource ids whose hexadecimal part is 0123456789abcdef0, and ARNs in 123456789012, the account
 * number AWS's own documentation uses. A stage deployed with one of them mirrors nothing (the
 * filter or target does not exist) or reads a secret that is not there, so packaging refuses them
 * outside the demo stage (deploy/stage-checks.ts).
 */
const EXAMPLE_ID = /^(?:[a-z]+|vpce-svc)-0123456789abcdef0$/;
const EXAMPLE_ACCOUNT = ':123456789012:';

export const isExampleValue = (value: string): boolean => EXAMPLE_ID.test(value) || value.includes(EXAMPLE_ACCOUNT);

export interface ExampleValue {
  /** Where it is, in the configuration's own notation (`mirroring.targets[0].id`). */
  field: string;
  value: string;
}

/** Every placeholder value in a configuration document, with the field that holds it. */
export function exampleValues(document: unknown, field = ''): ExampleValue[] {
  if (typeof document === 'string') return isExampleValue(document) ? [{ field, value: document }] : [];
  if (Array.isArray(document)) return document.flatMap((item, index) => exampleValues(item, `${field}[${index}]`));
  if (document && typeof document === 'object') {
    return Object.entries(document).flatMap(([key, value]) => exampleValues(value, field ? `${field}.${key}` : key));
  }
  return [];
}
