/**
 * AWS service events as AWS describes them: the envelope every service event has
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html) and the `detail`
 * of each event type from the EventBridge schema registry's `aws.*` schemas, as the CloudFormation
 * resource specification package (@aws-cdk/aws-service-spec) ships them.
 *
 * The registry's schemas are open (events carry fields a schema does not list), so a sample may have
 * more fields; but every field the schema requires must be there, every listed field has its type,
 * and every field a pattern matches on must be one the schema lists: a pattern on a field AWS never
 * sends matches nothing.
 */
import type { Event, EventTypeDefinition, GenericPropertyType } from '@aws-cdk/service-spec-types';
import { specification } from './cloudformation-spec.ts';

const ENVELOPE: Record<string, 'string' | 'array'> = {
  version: 'string',
  id: 'string',
  'detail-type': 'string',
  source: 'string',
  account: 'string',
  time: 'string',
  region: 'string',
  resources: 'array',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The registry's schema of the events with this source and detail-type, if AWS publishes one. */
export function awsEventSchema(source: string, detailType: string): Event | undefined {
  return specification()
    .all('event')
    .find((event) => event.source === source && event.detailType === detailType);
}

type EventType = GenericPropertyType<EventTypeDefinition>;

/**
 * Where the registry's schema (inferred from samples) and the service's own page disagree, the page
 * wins: ECS's task state change events carry `attachments[].details` as a list of `{name, value}`
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html), which the
 * registry has as one such object. Each item of such a list is checked as that object.
 */
const LISTS_THE_REGISTRY_HAS_AS_ONE: Record<string, ReadonlySet<string>> = {
  'aws.ecs / ECS Task State Change': new Set(['detail.attachments[].details']),
};

function checkValue(
  value: unknown,
  type: EventType,
  path: string,
  problems: string[],
  lists: ReadonlySet<string>,
): void {
  // The registry infers its schemas from sample events: a value AWS sends as null fits any type.
  if (value === null) return;
  const wrong = (expected: string) => problems.push(`${path}: expected ${expected}, got ${JSON.stringify(value)}`);
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value !== 'string') wrong('a string');
      return;
    case 'integer':
      if (!Number.isInteger(value)) wrong('an integer');
      return;
    case 'number':
      if (typeof value !== 'number') wrong('a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') wrong('a boolean');
      return;
    case 'array':
      if (!Array.isArray(value)) return void wrong('a list');
      value.forEach((item, index) => checkValue(item, type.element, `${path}[${index}]`, problems, lists));
      return;
    case 'ref': {
      if (Array.isArray(value) && lists.has(path.replace(/\[\d+\]/g, '[]'))) {
        value.forEach((item, index) => checkValue(item, type, `${path}[${index}]`, problems, new Set()));
        return;
      }
      if (!isObject(value)) return void wrong('an object');
      checkObject(value, specification().get('eventTypeDefinition', type.reference), path, problems, lists);
      return;
    }
    default:
  }
}

function checkObject(
  value: Record<string, unknown>,
  definition: EventTypeDefinition,
  path: string,
  problems: string[],
  lists: ReadonlySet<string>,
): void {
  for (const [name, property] of Object.entries(definition.properties)) {
    if (!(name in value)) {
      if (property.required) problems.push(`${path}.${name}: required by AWS's schema, missing`);
      continue;
    }
    checkValue(value[name], property.type, `${path}.${name}`, problems, lists);
  }
}

/** What makes `event` unlike the events AWS sends (none: it is shaped like them). */
export function awsEventProblems(event: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [field, kind] of Object.entries(ENVELOPE)) {
    const value = event[field];
    if (kind === 'array' ? !Array.isArray(value) : typeof value !== 'string')
      problems.push(`${field}: expected a ${kind} in every AWS event`);
  }
  const schema = awsEventSchema(String(event.source), String(event['detail-type']));
  if (!schema)
    return [
      ...problems,
      `no AWS schema for source ${String(event.source)} and detail-type ${String(event['detail-type'])}`,
    ];
  if (!isObject(event.detail)) return [...problems, 'detail: expected an object'];
  const lists = LISTS_THE_REGISTRY_HAS_AS_ONE[`${String(event.source)} / ${String(event['detail-type'])}`] ?? new Set();
  checkObject(event.detail, specification().get('eventTypeDefinition', schema.rootProperty), 'detail', problems, lists);
  return problems;
}

/** Pattern fields (paths from patternPaths) that AWS's schema of the event does not have. */
export function unknownPatternFields(paths: string[][], source: string, detailType: string): string[] {
  const schema = awsEventSchema(source, detailType);
  if (!schema) return [`no AWS schema for source ${source} and detail-type ${detailType}`];
  const unknown: string[] = [];
  for (const path of paths) {
    const [head, ...rest] = path;
    if (head !== 'detail') {
      if (rest.length > 0 || !(head! in ENVELOPE)) unknown.push(path.join('.'));
      continue;
    }
    let definition: EventTypeDefinition | undefined = specification().get('eventTypeDefinition', schema.rootProperty);
    for (const [index, name] of rest.entries()) {
      const property: { type: EventType } | undefined = definition?.properties[name];
      if (!property) {
        unknown.push(path.join('.'));
        break;
      }
      const type: EventType = property.type.type === 'array' ? property.type.element : property.type;
      definition = type.type === 'ref' ? specification().get('eventTypeDefinition', type.reference) : undefined;
      if (!definition && index < rest.length - 1) {
        unknown.push(path.join('.'));
        break;
      }
    }
  }
  return unknown;
}
