import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';
import { optionalString, structList, type Params } from './query.ts';
import type { Account, MessageAttribute, PublishedMessage } from './state.ts';
import { element, list, text, type Child } from './xml.ts';

/** The SNS actions autotap uses, with SNS's documented limits. */

/** Children of `<{Action}Result>`. */
export type SnsHandler = (params: Params, account: Account) => Child[];

/**
 * Message and attributes of one Publish, and the whole of one PublishBatch, at most 256 KiB (the
 * default MaximumMessageSize): https://docs.aws.amazon.com/sns/latest/api/API_Publish.html,
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html. Errors: InvalidParameter
 * "Message too long" (Publish, or one entry in Failed), BatchRequestTooLong (the batch as a whole).
 */
const MAX_MESSAGE_BYTES = 262_144;
const MAX_BATCH_ENTRIES = 10;

const invalidParameter = (message: string): ApiError =>
  new ApiError('InvalidParameter', `Invalid parameter: ${message}`);

function requiredParameter(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw invalidParameter(`${name} Reason: no value for required parameter`);
  return value;
}

function existingTopic(params: Params, account: Account): string {
  const arn = requiredParameter(params, 'TopicArn');
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn)) {
    throw invalidParameter(`TopicArn Reason: "${arn}" is not a valid topic ARN`);
  }
  if (!account.topics.has(arn)) throw new ApiError('NotFound', `Topic does not exist: ${arn}`, 404);
  return arn;
}

/**
 * SNS: "Subjects must be ASCII text that begins with a letter, number, or punctuation mark; must not
 * include line breaks or control characters; and must be less than 100 characters long."
 */
function checkSubject(subject: string | undefined, where: string): void {
  if (subject === undefined) return;
  if (subject.length === 0 || subject.length >= 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
    throw invalidParameter(
      `${where}Subject Reason: must be printable ASCII without line breaks, start with a letter, digit or punctuation, and be under 100 characters (got ${subject.length})`,
    );
  }
}

function checkStructure(structure: string | undefined, message: string, where: string): void {
  if (structure === undefined) return;
  if (structure !== 'json')
    throw invalidParameter(`${where}MessageStructure Reason: only "json" is supported (got "${structure}")`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalidParameter(`${where}Message Structure - JSON message body failed to parse`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter(`${where}Message Structure - JSON message body must be an object`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (!entries.some(([key, value]) => key === 'default' && typeof value === 'string')) {
    throw invalidParameter(`${where}Message Structure - No default entry in JSON message body`);
  }
  const nonString = entries.find(([, value]) => typeof value !== 'string');
  if (nonString) throw invalidParameter(`${where}Message Structure - the value of "${nonString[0]}" must be a string`);
}

const DATA_TYPE = /^(String|Number|Binary|String\.Array)(\.[A-Za-z0-9_.-]+)?$/;

function readAttributes(params: Params, prefix: string): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {};
  structList(params, `${prefix}.entry`).forEach((entry, i) => {
    const where = `${prefix}.entry.${i + 1}`;
    const name = entry.get('Name');
    if (!name) throw invalidParameter(`${where}.Name Reason: no value for required parameter`);
    if (
      name.length > 256 ||
      /^(aws|amazon)\./i.test(name) ||
      name.includes('..') ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      !/^[A-Za-z0-9_.-]+$/.test(name)
    ) {
      throw new ApiError('ParameterValueInvalid', `The message attribute name '${name}' is invalid.`);
    }
    if (attributes[name])
      throw new ApiError('ParameterValueInvalid', `The message attribute '${name}' is given more than once.`);
    const dataType = entry.get('Value.DataType');
    if (!dataType)
      throw new ApiError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain a non-empty message attribute type.`,
      );
    if (!DATA_TYPE.test(dataType))
      throw new ApiError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type '${dataType}'.`,
      );
    const binary = dataType.startsWith('Binary');
    const value = binary ? entry.get('Value.BinaryValue') : entry.get('Value.StringValue');
    if (value === undefined || value === '') {
      throw new ApiError(
        'ParameterValueInvalid',
        `The message attribute '${name}' with type '${dataType}' must use field '${binary ? 'Binary' : 'String'}'.`,
      );
    }
    if (dataType.startsWith('Number') && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
      throw new ApiError('ParameterValueInvalid', `Could not cast message attribute '${name}' value to number.`);
    }
    if (dataType.startsWith('String.Array')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed))
        throw new ApiError(
          'ParameterValueInvalid',
          `The message attribute '${name}' of type String.Array must be a JSON array.`,
        );
    }
    attributes[name] = { dataType, value };
  });
  return attributes;
}

/** SNS counts the message and every attribute's name, type and value against the 256 KiB limit. */
function sizeOf(message: string, attributes: Record<string, MessageAttribute>): number {
  let size = Buffer.byteLength(message, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.dataType) + Buffer.byteLength(attribute.value);
  }
  return size;
}

interface Draft {
  message: string;
  subject?: string;
  messageStructure?: string;
  messageAttributes: Record<string, MessageAttribute>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

function readMessage(params: Params, prefix: string, topicArn: string): Draft {
  const where = prefix ? `${prefix}.` : '';
  const message = params.get(`${where}Message`);
  if (message === undefined || message === '') throw invalidParameter(`${where}Message Reason: Empty message`);
  const subject = optionalString(params, `${where}Subject`);
  checkSubject(subject, where);
  const messageStructure = optionalString(params, `${where}MessageStructure`);
  checkStructure(messageStructure, message, where);
  const messageAttributes = readAttributes(params, `${where}MessageAttributes`);
  const size = sizeOf(message, messageAttributes);
  if (size > MAX_MESSAGE_BYTES) {
    throw invalidParameter(
      `${where}Message too long: ${size} bytes with attributes; the limit is ${MAX_MESSAGE_BYTES}`,
    );
  }
  const messageGroupId = optionalString(params, `${where}MessageGroupId`);
  const messageDeduplicationId = optionalString(params, `${where}MessageDeduplicationId`);
  if (topicArn.endsWith('.fifo') && !messageGroupId) {
    throw invalidParameter(`${where}MessageGroupId Reason: The MessageGroupId parameter is required for FIFO topics`);
  }
  return { message, subject, messageStructure, messageAttributes, messageGroupId, messageDeduplicationId };
}

function record(account: Account, topicArn: string, draft: Draft, batchEntryId?: string): PublishedMessage {
  const published: PublishedMessage = { topicArn, ...draft, messageId: randomUUID() };
  if (batchEntryId !== undefined) published.batchEntryId = batchEntryId;
  for (const key of ['subject', 'messageStructure', 'messageGroupId', 'messageDeduplicationId'] as const) {
    if (published[key] === undefined) delete published[key];
  }
  account.published.push(published);
  return published;
}

function publish(params: Params, account: Account): Child[] {
  const topicArn = existingTopic(params, account);
  const published = record(account, topicArn, readMessage(params, '', topicArn));
  return [text('MessageId', published.messageId)];
}

/**
 * Request-level problems fail the whole call; a problem with one entry's content is reported in
 * `Failed` for that entry while the others are published (SNS's documented partial success).
 */
function publishBatch(params: Params, account: Account): Child[] {
  const topicArn = existingTopic(params, account);
  const prefix = 'PublishBatchRequestEntries.member';
  const entries = structList(params, prefix);
  if (entries.length === 0) throw new ApiError('EmptyBatchRequest', 'The batch request does not contain any entries.');
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new ApiError(
      'TooManyEntriesInBatchRequest',
      `The batch request contains ${entries.length} entries; the maximum is ${MAX_BATCH_ENTRIES}.`,
    );
  }
  const ids = entries.map((entry, i) => {
    const id = entry.get('Id');
    if (id === undefined || id === '')
      throw invalidParameter(`${prefix}.${i + 1}.Id Reason: no value for required parameter`);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new ApiError(
        'InvalidBatchEntryId',
        `The batch entry id '${id}' must be 1-80 letters, digits, hyphens or underscores.`,
      );
    }
    return id;
  });
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined)
    throw new ApiError('BatchEntryIdsNotDistinct', `Two or more batch entries have the id '${duplicate}'.`);
  let total = 0;
  entries.forEach((entry) => {
    total += Buffer.byteLength(entry.get('Message') ?? '', 'utf8');
    for (const [key, value] of entry) if (key.startsWith('MessageAttributes.entry.')) total += Buffer.byteLength(value);
  });
  if (total > MAX_MESSAGE_BYTES) {
    throw new ApiError(
      'BatchRequestTooLong',
      `The batch messages total ${total} bytes; the maximum is ${MAX_MESSAGE_BYTES}.`,
    );
  }
  const successful: { id: string; messageId: string }[] = [];
  const failed: { id: string; code: string; message: string }[] = [];
  entries.forEach((_entry, i) => {
    const id = ids[i] as string;
    try {
      const published = record(account, topicArn, readMessage(params, `${prefix}.${i + 1}`, topicArn), id);
      successful.push({ id, messageId: published.messageId });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failed.push({ id, code: error.code, message: error.message });
    }
  });
  return [
    list('Successful', successful, (s) => [text('Id', s.id), text('MessageId', s.messageId)], 'member'),
    list(
      'Failed',
      failed,
      (f) => [text('Id', f.id), text('Code', f.code), text('Message', f.message), text('SenderFault', true)],
      'member',
    ),
  ];
}

function createTopic(params: Params, account: Account): Child[] {
  const name = requiredParameter(params, 'Name');
  if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
    throw invalidParameter('Topic Name Reason: names are 1-256 letters, digits, hyphens and underscores (plus .fifo)');
  }
  return [text('TopicArn', account.createTopic(name))];
}

/**
 * Subscribe, with the FilterPolicy attribute counted against the topic's filter policies: "By default,
 * you can have up to 200 filter policies per topic ... it will fail when you attach the filter policy
 * in the Subscribe API call" (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html),
 * with FilterPolicyLimitExceeded (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html).
 */
function subscribe(params: Params, account: Account): Child[] {
  const topicArn = existingTopic(params, account);
  const protocol = requiredParameter(params, 'Protocol');
  const endpoint = optionalString(params, 'Endpoint');
  const attributes = new Map(
    structList(params, 'Attributes.entry').map((entry) => [entry.get('key'), entry.get('value')]),
  );
  const filterPolicy = attributes.get('FilterPolicy');
  if (filterPolicy !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(filterPolicy);
    } catch {
      throw invalidParameter('Attributes Reason: FilterPolicy: failed to parse JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw invalidParameter('Attributes Reason: FilterPolicy: expected a JSON object');
  }
  const existing = account.subscriptions.find(
    (s) => s.topicArn === topicArn && s.protocol === protocol && s.endpoint === endpoint,
  );
  if (filterPolicy !== undefined && existing?.filterPolicy === undefined) {
    const policies = account.subscriptions.filter((s) => s.topicArn === topicArn && s.filterPolicy !== undefined);
    if (policies.length >= account.snsFilterPoliciesPerTopic)
      throw new ApiError('FilterPolicyLimitExceeded', 'Filter policy limit exceeded', 403);
  }
  const subscription = existing ?? { subscriptionArn: `${topicArn}:${randomUUID()}`, topicArn, protocol, endpoint };
  if (filterPolicy !== undefined) subscription.filterPolicy = filterPolicy;
  if (!existing) account.subscriptions.push(subscription);
  return [text('SubscriptionArn', subscription.subscriptionArn)];
}

const TOPICS_PER_PAGE = 100;

function listTopics(params: Params, account: Account): Child[] {
  const arns = [...account.topics.keys()];
  const token = optionalString(params, 'NextToken');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidParameter('NextToken');
  const next = offset + TOPICS_PER_PAGE;
  return [
    list('Topics', arns.slice(offset, next), (arn) => [text('TopicArn', arn)], 'member'),
    text('NextToken', next < arns.length ? Buffer.from(String(next)).toString('base64url') : undefined),
  ];
}

/** Subscriptions per ListSubscriptionsByTopic page (API reference: "up to 100"). */
const SUBSCRIPTIONS_PER_PAGE = 100;

/**
 * ListSubscriptionsByTopic (https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html):
 * a subscription not confirmed yet is listed with the SubscriptionArn `PendingConfirmation`.
 */
function listSubscriptionsByTopic(params: Params, account: Account): Child[] {
  const topicArn = existingTopic(params, account);
  const subscriptions = account.subscriptions.filter((s) => s.topicArn === topicArn);
  const token = optionalString(params, 'NextToken');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidParameter('NextToken');
  const next = offset + SUBSCRIPTIONS_PER_PAGE;
  return [
    list(
      'Subscriptions',
      subscriptions.slice(offset, next),
      (s) => [
        text('SubscriptionArn', s.pendingConfirmation ? 'PendingConfirmation' : s.subscriptionArn),
        text('Owner', account.accountId),
        text('Protocol', s.protocol),
        text('Endpoint', s.endpoint),
        text('TopicArn', s.topicArn),
      ],
      'member',
    ),
    text('NextToken', next < subscriptions.length ? Buffer.from(String(next)).toString('base64url') : undefined),
  ];
}

export const SNS_ACTIONS: Record<string, SnsHandler> = {
  ListSubscriptionsByTopic: listSubscriptionsByTopic,
  Publish: publish,
  PublishBatch: publishBatch,
  CreateTopic: createTopic,
  Subscribe: subscribe,
  ListTopics: listTopics,
};

export const snsResult = (action: string, children: Child[]): Child => element(`${action}Result`, children);
