/**
 * A packaged template checked against the CloudFormation resource specification as AWS publishes it
 * (the npm package @aws-cdk/aws-service-spec, built from the CloudFormation registry schemas): every
 * resource type exists, every property is one the type has, required properties are present, values
 * have the type the specification gives (recursively through property types), and every Ref and
 * Fn::GetAtt names a resource of the template and an attribute its type has.
 *
 * CloudFormation converts scalars between strings, numbers and booleans (a property of type Integer
 * takes "300"), so a scalar that converts is accepted; an object where a scalar is expected, or a
 * scalar where a list or an object is expected, is not.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, SpecDatabase } from '@aws-cdk/service-spec-types';
import type { Template } from '../template/inspect.ts';

let database: SpecDatabase | undefined;
/** The specification, loaded once per test file (about two seconds). */
export function specification(): SpecDatabase {
  database ??= loadAwsServiceSpecSync();
  return database;
}

/** Keys a resource may have besides Type and Properties (CloudFormation's resource attributes). */
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A CloudFormation intrinsic function (or Ref): its value is only known at deploy time. */
function isIntrinsic(value: unknown): boolean {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition');
}

const describe = (value: unknown) =>
  Array.isArray(value)
    ? 'a list'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? 'an object'
        : `${typeof value} ${JSON.stringify(value)}`;

function resourceSpec(db: SpecDatabase, type: string): Resource | undefined {
  return db.lookup('resource', 'cloudFormationType', 'equals', type)[0];
}

/** Problems of `value` against `type`, each as `path: what`. */
function checkValue(db: SpecDatabase, value: unknown, type: PropertyType, path: string, problems: string[]): void {
  if (isIntrinsic(value)) return;
  const wrong = (expected: string) => problems.push(`${path}: expected ${expected}, got ${describe(value)}`);
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (!['string', 'number', 'boolean'].includes(typeof value)) wrong('a string');
      return;
    case 'integer':
      if (!(Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)))) wrong('an integer');
      return;
    case 'number':
      if (!(
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      ))
        wrong('a number');
      return;
    case 'boolean':
      if (!(typeof value === 'boolean' || value === 'true' || value === 'false')) wrong('a boolean');
      return;
    case 'json':
      if (typeof value !== 'object' || value === null) wrong('a JSON object');
      return;
    case 'null':
      if (value !== null) wrong('null');
      return;
    case 'tag':
      if (!isObject(value) || !('Key' in value) || !('Value' in value)) wrong('a tag {Key, Value}');
      return;
    case 'array':
      if (!Array.isArray(value)) return void wrong('a list');
      value.forEach((item, index) => checkValue(db, item, type.element, `${path}[${index}]`, problems));
      return;
    case 'map':
      if (!isObject(value)) return void wrong('a map');
      for (const [key, item] of Object.entries(value)) checkValue(db, item, type.element, `${path}.${key}`, problems);
      return;
    case 'union': {
      const attempts = type.types.map((option) => {
        const found: string[] = [];
        checkValue(db, value, option, path, found);
        return found;
      });
      if (!attempts.some((found) => found.length === 0))
        problems.push(...attempts.sort((a, b) => a.length - b.length)[0]!);
      return;
    }
    case 'ref': {
      if (!isObject(value)) return void wrong('an object');
      const definition = db.get('typeDefinition', type.reference);
      checkProperties(db, value, definition.properties, path, problems);
      return;
    }
    default:
      problems.push(`${path}: the specification has a type this check does not know (${JSON.stringify(type)})`);
  }
}

function checkProperties(
  db: SpecDatabase,
  value: Record<string, unknown>,
  properties: Resource['properties'],
  path: string,
  problems: string[],
): void {
  for (const [name, item] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      problems.push(
        `${path}.${name}: not a property of this type (it has ${Object.keys(properties).sort().join(', ')})`,
      );
      continue;
    }
    checkValue(db, item, property.type, `${path}.${name}`, problems);
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) problems.push(`${path}.${name}: required, missing`);
  }
}

/** Every Ref and Fn::GetAtt in `value`, with where it is. */
function references(
  value: unknown,
  path: string,
  found: { path: string; ref?: string; getAtt?: [string, string] }[] = [],
) {
  if (Array.isArray(value)) value.forEach((item, index) => references(item, `${path}[${index}]`, found));
  else if (isObject(value)) {
    if (typeof value.Ref === 'string') found.push({ path, ref: value.Ref });
    const getAtt = value['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const [logicalId, ...rest] = typeof getAtt === 'string' ? getAtt.split('.') : (getAtt as string[]);
      found.push({ path, getAtt: [logicalId!, rest.join('.')] });
    }
    const sub = value['Fn::Sub'];
    const text = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
    if (typeof text === 'string') {
      const variables = Array.isArray(sub) && isObject(sub[1]) ? Object.keys(sub[1]) : [];
      for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        if (variables.includes(name!)) continue;
        const [logicalId, ...rest] = name!.split('.');
        found.push(rest.length ? { path, getAtt: [logicalId!, rest.join('.')] } : { path, ref: logicalId! });
      }
    }
    for (const [key, item] of Object.entries(value)) references(item, `${path}.${key}`, found);
  }
  return found;
}

/** Every problem the specification finds in `template`, as `Resources.<id>...: what` lines (none: valid). */
export function specificationProblems(
  template: Template & { Parameters?: Record<string, unknown>; Outputs?: Record<string, unknown> },
): string[] {
  const db = specification();
  const problems: string[] = [];
  const specs = new Map<string, Resource>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const path = `Resources.${logicalId}`;
    for (const key of Object.keys(resource))
      if (!RESOURCE_KEYS.has(key)) problems.push(`${path}.${key}: not a resource attribute`);
    const spec = resourceSpec(db, resource.Type);
    if (!spec) {
      problems.push(`${path}: type ${resource.Type} is not in the CloudFormation resource specification`);
      continue;
    }
    specs.set(logicalId, spec);
    checkProperties(db, resource.Properties ?? {}, spec.properties, `${path}.Properties`, problems);
  }
  const pseudo = new Set([
    'AWS::AccountId',
    'AWS::NotificationARNs',
    'AWS::NoValue',
    'AWS::Partition',
    'AWS::Region',
    'AWS::StackId',
    'AWS::StackName',
    'AWS::URLSuffix',
  ]);
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  for (const found of references({ Resources: template.Resources, Outputs: template.Outputs ?? {} }, '')) {
    if (
      found.ref !== undefined &&
      !pseudo.has(found.ref) &&
      !parameters.has(found.ref) &&
      !(found.ref in template.Resources)
    ) {
      problems.push(`${found.path.slice(1)}: Ref to ${found.ref}, which is not in the template`);
    }
    if (found.getAtt) {
      const [logicalId, attribute] = found.getAtt;
      const spec = specs.get(logicalId);
      if (!(logicalId in template.Resources))
        problems.push(`${found.path.slice(1)}: Fn::GetAtt of ${logicalId}, which is not in the template`);
      else if (spec && !(attribute in spec.attributes)) {
        problems.push(
          `${found.path.slice(1)}: ${spec.cloudFormationType} has no attribute ${attribute} (it has ${Object.keys(spec.attributes).sort().join(', ')})`,
        );
      }
    }
  }
  return problems;
}
