import { createHash, randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';

/**
 * The SQS actions autotap uses, over SQS's JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`).
 * SQS is "query compatible": besides the JSON `__type`, errors carry their legacy Query code in the
 * `x-amzn-query-error` header, which is what the SDK maps to its exception classes.
 */

/**
 * SQS raised its payload limit to 1 MiB in 2025, for single messages and whole batches alike
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html):
 * InvalidParameterValue for one message, BatchRequestTooLong for a batch.
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
const MAX_BATCH_ENTRIES = 10;
const DEFAULT_VISIBILITY_SECONDS = 30;

export class SqsError extends ApiError {
  /** The Query-protocol code, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
  readonly queryCode: string;

  constructor(type: string, queryCode: string, message: string, status = 400) {
    super(type, message, status);
    this.queryCode = queryCode;
  }
}

const nonExistentQueue = () =>
  new SqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
const invalidParameter = (message: string) => new SqsError('InvalidParameterValue', 'InvalidParameterValue', message);
const missingParameter = (name: string) =>
  new SqsError('MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`);

export interface QueuedMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  /** Not receivable before this clock time (DelaySeconds, or the visibility timeout after a receive). */
  visibleAt: number;
  receiveCount: number;
  /** The handle of the latest receive: only it can delete the message, as in SQS. */
  receiptHandle?: string;
}

export interface QueueRecord {
  name: string;
  messages: QueuedMessage[];
  visibilityTimeoutSeconds: number;
  /** RedrivePolicy: a message received maxReceiveCount times moves to the dead-letter queue. */
  redrive?: { deadLetter: QueueRecord; maxReceiveCount: number };
}

/**
 * SQS allows maxReceiveCount from 1 to 1,000:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
const MAX_RECEIVE_COUNT = 1000;

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export class Queues {
  readonly byName = new Map<string, QueueRecord>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Idempotent, like CreateQueue with the same attributes. */
  create(name: string, visibilityTimeoutSeconds = DEFAULT_VISIBILITY_SECONDS): QueueRecord {
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name)) {
      throw invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (got "${name}")`,
      );
    }
    let queue = this.byName.get(name);
    if (!queue) this.byName.set(name, (queue = { name, messages: [], visibilityTimeoutSeconds }));
    return queue;
  }

  /** The queue a URL names: its last path segment, whatever the host (clients may reach it through any address). */
  fromUrl(url: string): QueueRecord {
    let name: string;
    try {
      name = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
    } catch {
      throw invalidParameter(`QueueUrl: "${url}" is not a URL`);
    }
    const queue = this.byName.get(name);
    if (!queue) throw nonExistentQueue();
    return queue;
  }

  named(name: string): QueueRecord {
    const queue = this.byName.get(name);
    if (!queue) throw nonExistentQueue();
    return queue;
  }

  send(queue: QueueRecord, body: string, delaySeconds = 0): QueuedMessage {
    const now = this.now();
    const message: QueuedMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    return message;
  }

  /** Sets the queue's RedrivePolicy (same account and queue type, as SQS requires). */
  setRedrivePolicy(queue: QueueRecord, deadLetter: QueueRecord, maxReceiveCount: number): void {
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > MAX_RECEIVE_COUNT) {
      throw invalidParameter(
        `Value ${maxReceiveCount} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${maxReceiveCount}, valid values are from 1 to ${MAX_RECEIVE_COUNT} both inclusive.`,
      );
    }
    if (deadLetter === queue)
      throw invalidParameter(
        'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter target cannot be the source queue.',
      );
    queue.redrive = { deadLetter, maxReceiveCount };
  }

  receive(queue: QueueRecord, max: number, visibilityTimeoutSeconds: number): QueuedMessage[] {
    const now = this.now();
    // SQS moves a message whose receive count has reached maxReceiveCount to the dead-letter queue
    // instead of returning it once more; it keeps its id, body and first enqueue time there.
    if (queue.redrive) {
      const { deadLetter, maxReceiveCount } = queue.redrive;
      const exhausted = queue.messages.filter((m) => m.visibleAt <= now && m.receiveCount >= maxReceiveCount);
      for (const m of exhausted) {
        queue.messages.splice(queue.messages.indexOf(m), 1);
        deadLetter.messages.push({
          messageId: m.messageId,
          body: m.body,
          md5OfBody: m.md5OfBody,
          sentAt: m.sentAt,
          visibleAt: now,
          receiveCount: 0,
        });
      }
    }
    const received = queue.messages.filter((m) => m.visibleAt <= now).slice(0, max);
    for (const m of received) {
      m.receiveCount += 1;
      m.visibleAt = now + visibilityTimeoutSeconds * 1000;
      m.receiptHandle = `${m.messageId}#${randomUUID()}`;
    }
    return received;
  }

  delete(queue: QueueRecord, receiptHandle: string): void {
    const messageId = receiptHandle.split('#')[0];
    const index = queue.messages.findIndex((m) => m.messageId === messageId);
    // Deleting an already deleted message succeeds in SQS; a handle that never existed does not.
    if (index === -1) {
      if (!/^[0-9a-f-]{36}#[0-9a-f-]{36}$/.test(receiptHandle))
        throw new SqsError(
          'ReceiptHandleIsInvalid',
          'ReceiptHandleIsInvalid',
          `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
          404,
        );
      return;
    }
    queue.messages.splice(index, 1);
  }

  changeVisibility(queue: QueueRecord, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const message = queue.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message)
      throw new SqsError(
        'MessageNotInflight',
        'AWS.SimpleQueueService.MessageNotInflight',
        'The message referred to is not in flight.',
      );
    message.visibleAt = this.now() + visibilityTimeoutSeconds * 1000;
  }
}

type Input = Record<string, unknown>;
/** The JSON answer of an action; `endpoint` is the origin the request reached, for queue URLs. */
export type SqsHandler = (input: Input, queues: Queues, endpoint: string, accountId: string) => Record<string, unknown>;

function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw missingParameter(name);
  if (typeof value !== 'string') throw invalidParameter(`${name} must be a string`);
  return value;
}

function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: must be an integer from ${min} to ${max}.`,
    );
  }
  return value;
}

const queueUrl = (endpoint: string, accountId: string, name: string) => `${endpoint}/${accountId}/${name}`;

function checkBody(body: string, where: string): void {
  if (body === '') throw invalidParameter(`${where}MessageBody: the message must be at least one character`);
  // SQS allows #x9 #xA #xD and #x20 to #x10FFFF, excluding surrogates (lone ones cannot be encoded anyway).
  const invalid = [...body].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;
  });
  if (invalid) {
    throw invalidParameter(
      `${where}MessageBody: Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > SQS_MAX_MESSAGE_BYTES)
    throw invalidParameter(
      `${where}MessageBody: message of ${bytes} bytes exceeds the limit of ${SQS_MAX_MESSAGE_BYTES} bytes`,
    );
}

/**
 * A batch action's answer: each entry under Successful with what `act` returned, or under Failed with
 * the error SQS names for it (the sender's fault); an error that is not an API error is a defect.
 */
function perEntry(entries: readonly Input[], act: (entry: Input) => Record<string, unknown>) {
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...act(entry) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      Failed.push({
        Id: entry.Id,
        SenderFault: true,
        Code: error instanceof SqsError ? error.queryCode : error.code,
        Message: error.message,
      });
    }
  }
  return { Successful, Failed };
}

function batchEntries(input: Input): Input[] {
  const entries = input.Entries;
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0)) {
    throw new SqsError(
      'EmptyBatchRequest',
      'AWS.SimpleQueueService.EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e)))
    throw invalidParameter('Entries must be a list of objects');
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const ids = entries.map((e: Input) => {
    const id = e.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'AWS.SimpleQueueService.InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    return id;
  });
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined)
    throw new SqsError(
      'BatchEntryIdsNotDistinct',
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      `Id ${duplicate} repeated.`,
    );
  return entries as Input[];
}

function createQueue(input: Input, queues: Queues, endpoint: string, accountId: string) {
  const name = requiredString(input, 'QueueName');
  const attributes = (input.Attributes ?? {}) as Record<string, string>;
  const visibility = attributes.VisibilityTimeout === undefined ? undefined : Number(attributes.VisibilityTimeout);
  const queue = queues.create(
    name,
    visibility !== undefined && Number.isInteger(visibility) && visibility >= 0 ? visibility : undefined,
  );
  if (attributes.RedrivePolicy !== undefined) {
    let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    try {
      policy = JSON.parse(attributes.RedrivePolicy) as typeof policy;
    } catch {
      throw invalidParameter(
        'Value for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.',
      );
    }
    const target =
      typeof policy.deadLetterTargetArn === 'string'
        ? /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:(\d{12}):([A-Za-z0-9_.-]+)$/.exec(policy.deadLetterTargetArn)
        : null;
    if (!target || target[1] !== accountId)
      throw invalidParameter(
        'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.',
      );
    const deadLetter = queues.byName.get(target[2]!);
    if (!deadLetter)
      throw invalidParameter(
        'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.',
      );
    // The dead-letter queue of a FIFO queue must be FIFO, and of a standard queue standard.
    if (deadLetter.name.endsWith('.fifo') !== name.endsWith('.fifo'))
      throw invalidParameter(
        'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be of the same type as the source queue.',
      );
    queues.setRedrivePolicy(queue, deadLetter, Number(policy.maxReceiveCount));
  }
  return { QueueUrl: queueUrl(endpoint, accountId, name) };
}

function getQueueUrl(input: Input, queues: Queues, endpoint: string, accountId: string) {
  const name = requiredString(input, 'QueueName');
  queues.named(name);
  return { QueueUrl: queueUrl(endpoint, accountId, name) };
}

function sendMessage(input: Input, queues: Queues) {
  const queue = queues.fromUrl(requiredString(input, 'QueueUrl'));
  const body = requiredString(input, 'MessageBody');
  checkBody(body, '');
  const message = queues.send(queue, body, optionalInteger(input, 'DelaySeconds', 0, 900));
  return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
}

/** Request-level problems fail the call; a bad entry is reported in Failed while the others are sent. */
function sendMessageBatch(input: Input, queues: Queues) {
  const queue = queues.fromUrl(requiredString(input, 'QueueUrl'));
  const entries = batchEntries(input);
  const total = entries.reduce(
    (sum, e) => sum + (typeof e.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody, 'utf8') : 0),
    0,
  );
  if (total > SQS_MAX_MESSAGE_BYTES) {
    throw new SqsError(
      'BatchRequestTooLong',
      'AWS.SimpleQueueService.BatchRequestTooLong',
      `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
    );
  }
  return perEntry(entries, (entry) => {
    const body = requiredString(entry, 'MessageBody');
    checkBody(body, '');
    const message = queues.send(queue, body, optionalInteger(entry, 'DelaySeconds', 0, 900));
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
  });
}

function receiveMessage(input: Input, queues: Queues) {
  const queue = queues.fromUrl(requiredString(input, 'QueueUrl'));
  const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
  const visibility = optionalInteger(input, 'VisibilityTimeout', 0, 43_200) ?? queue.visibilityTimeoutSeconds;
  // Long polling is not emulated: WaitTimeSeconds is accepted and the answer comes at once.
  optionalInteger(input, 'WaitTimeSeconds', 0, 20);
  const messages = queues.receive(queue, max, visibility);
  return {
    Messages: messages.map((m) => ({
      MessageId: m.messageId,
      ReceiptHandle: m.receiptHandle,
      MD5OfBody: m.md5OfBody,
      Body: m.body,
      Attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        ApproximateFirstReceiveTimestamp: String(m.sentAt),
      },
    })),
  };
}

function deleteMessage(input: Input, queues: Queues) {
  const queue = queues.fromUrl(requiredString(input, 'QueueUrl'));
  queues.delete(queue, requiredString(input, 'ReceiptHandle'));
  return {};
}

function deleteMessageBatch(input: Input, queues: Queues) {
  const queue = queues.fromUrl(requiredString(input, 'QueueUrl'));
  return perEntry(batchEntries(input), (entry) => {
    queues.delete(queue, requiredString(entry, 'ReceiptHandle'));
    return {};
  });
}

function changeMessageVisibility(input: Input, queues: Queues) {
  const queue = queues.fromUrl(requiredString(input, 'QueueUrl'));
  const timeout = optionalInteger(input, 'VisibilityTimeout', 0, 43_200);
  if (timeout === undefined) throw missingParameter('VisibilityTimeout');
  queues.changeVisibility(queue, requiredString(input, 'ReceiptHandle'), timeout);
  return {};
}

export const SQS_ACTIONS: Record<string, SqsHandler> = {
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
};
