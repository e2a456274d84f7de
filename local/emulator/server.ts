import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { EC2_ACTIONS } from './ec2.ts';
import { ApiError } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import { parseForm, type Params } from './query.ts';
import { SNS_ACTIONS, snsResult } from './sns.ts';
import { SECRETS_ACTIONS } from './secrets.ts';
import { SQS_ACTIONS, SqsError } from './sqs.ts';
import type { Account } from './state.ts';
import { document, element, text, type Child } from './xml.ts';
import { EVENTS_ACTIONS, type EventBuses } from './eventbridge.ts';
import { STATES_ACTIONS, type StepFunctions } from './stepfunctions.ts';
import { ELBV2_ACTIONS, ELBV2_NAMESPACE, ELBV2_VERSION } from './elbv2.ts';
import { CLOUDTRAIL_ACTIONS } from './cloudtrail.ts';
import { IAM_ACTIONS, IAM_NAMESPACE, IAM_VERSION } from './iam.ts';
import { lambdaRoute, type LambdaRoute } from './lambda.ts';
import { STS_NAMESPACE, STS_VERSION, type EmulatedOrganization } from './organization.ts';

/**
 * HTTP in, Query protocol dispatch, XML out: EC2 and SNS share one endpoint, told apart by Version.
 * SQS, Secrets Manager, EventBridge and Step Functions speak JSON on the same endpoint, told apart
 * by their X-Amz-Target.
 */

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const SNS_VERSION = '2010-03-31';
/** Far above SNS's 256 KiB even form-encoded; anything larger is not a real client's request. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Service = 'ec2' | 'sns' | 'elbv2' | 'iam' | 'sts';

export class CallLog {
  readonly all: Record<string, number> = {};
  readonly succeeded: Record<string, number> = {};

  count(action: string, ok: boolean): void {
    const table = ok ? this.succeeded : this.all;
    table[action] = (table[action] ?? 0) + 1;
  }

  reset(): void {
    for (const table of [this.all, this.succeeded]) for (const key of Object.keys(table)) delete table[key];
  }
}

export interface ServiceContext {
  account: Account;
  /** Every account and Region behind the endpoint; a request acts in the one its credentials and signature name. */
  organization: EmulatedOrganization;
  faults: FaultInjector;
  calls: CallLog;
  events: EventBuses;
  stepFunctions: StepFunctions;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError('RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes`, 413));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function readParams(request: IncomingMessage): Promise<Map<string, string>> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const params = parseForm(url.search.slice(1));
  if (request.method === 'POST') {
    const type = request.headers['content-type'] ?? '';
    const body = await readBody(request);
    if (body !== '' && !/^application\/x-www-form-urlencoded\b/i.test(type)) {
      throw new ApiError(
        'MalformedQueryString',
        `Expected a form-encoded body (application/x-www-form-urlencoded), got "${type || 'no content type'}"`,
      );
    }
    for (const [key, value] of parseForm(body)) params.set(key, value);
  } else if (request.method !== 'GET') {
    throw new ApiError('InvalidHttpRequest', `The HTTP method ${request.method ?? ''} is not supported; use POST`, 405);
  }
  return params;
}

function serviceOf(params: Params): Service {
  const version = params.get('Version');
  if (version === SNS_VERSION) return 'sns';
  if (version === ELBV2_VERSION) return 'elbv2';
  if (version === IAM_VERSION) return 'iam';
  if (version === STS_VERSION) return 'sts';
  if (version === undefined && SNS_ACTIONS[params.get('Action') ?? ''] && !EC2_ACTIONS[params.get('Action') ?? ''])
    return 'sns';
  return 'ec2';
}

function errorBody(service: Service, error: ApiError, requestId: string): string {
  if (service === 'sns' || service === 'elbv2' || service === 'iam' || service === 'sts') {
    return document(
      element(
        'ErrorResponse',
        [
          element('Error', [text('Type', error.fault), text('Code', error.code), text('Message', error.message)]),
          text('RequestId', requestId),
        ],
        { xmlns: { sns: SNS_NAMESPACE, elbv2: ELBV2_NAMESPACE, iam: IAM_NAMESPACE, sts: STS_NAMESPACE }[service] },
      ),
    );
  }
  return document(
    element('Response', [
      element('Errors', [element('Error', [text('Code', error.code), text('Message', error.message)])]),
      text('RequestID', requestId),
    ]),
  );
}

function send(response: ServerResponse, status: number, body: string, requestId: string): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  response.end(body);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createListener(context: ServiceContext): RequestListener {
  return (request, response) => {
    void handle(context, request, response);
  };
}

async function handle(context: ServiceContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const lambda = lambdaRoute(request.url ?? '');
  if (lambda) return handleLambda(context, lambda, request, response, requestId);
  const target = request.headers['x-amz-target'];
  if (
    typeof target === 'string' &&
    /^(AmazonSQS|secretsmanager|AWSEvents|AWSStepFunctions|AWSOrganizationsV20161128|(com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101)\./.test(
      target,
    )
  ) {
    return handleJson(context, target, request, response, requestId);
  }
  let service: Service = 'ec2';
  try {
    const params = await readParams(request);
    service = serviceOf(params);
    const action = params.get('Action');
    context.calls.count(action ?? '(no action)', false);
    if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
    if (action === undefined || action === '')
      throw new ApiError('MissingAction', 'The request must contain the parameter Action');
    // EC2 and ELBv2 act in the account and Region the request's credentials and signature name.
    const place = service === 'ec2' || service === 'elbv2' ? context.organization.principalOf(request) : undefined;
    const own = place ? context.organization.faultsOf(place.account) : undefined;
    const here = place ? { ...context, account: place.account, ...(own ? { faults: own } : {}) } : context;
    if (place && service === 'ec2') context.organization.authorize(place.principal, place.account, action, params);
    const body =
      service === 'sns'
        ? answerSns(context, action, params, requestId)
        : service === 'sts'
          ? answerSts(context, request, action, params, requestId)
          : service === 'elbv2' || service === 'iam'
            ? answerQuery(here, service, action, params, requestId)
            : answerEc2(here, action, params, requestId);
    context.calls.count(action, true);
    send(response, 200, body, requestId);
  } catch (error) {
    const apiError =
      error instanceof ApiError
        ? error
        : new ApiError('InternalError', `The emulator failed: ${(error as Error)?.message ?? String(error)}`, 500);
    send(response, apiError.status, errorBody(service, apiError, requestId), requestId);
  }
}

function answerEc2(context: ServiceContext, action: string, params: Params, requestId: string): string {
  const handler = EC2_ACTIONS[action];
  if (!handler) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const fault = context.faults.beforeCall('ec2', action);
  if (fault) throw fault;
  const children = handler(params, context);
  return document(element(`${action}Response`, [text('requestId', requestId), ...children], { xmlns: EC2_NAMESPACE }));
}

function answerSns(context: ServiceContext, action: string, params: Params, requestId: string): string {
  const handler = SNS_ACTIONS[action];
  if (!handler) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const fault = context.faults.beforeCall('sns', action);
  if (fault) throw fault;
  const children = handler(params, context.account);
  return document(
    element(
      `${action}Response`,
      [snsResult(action, children), element('ResponseMetadata', [text('RequestId', requestId)])],
      { xmlns: SNS_NAMESPACE },
    ),
  );
}

/** STS (Query, Version 2011-06-15): AssumeRole and GetCallerIdentity, as the organization answers them. */
function answerSts(
  context: ServiceContext,
  request: IncomingMessage,
  action: string,
  params: Params,
  requestId: string,
): string {
  const fault = context.faults.beforeCall('sts', action);
  if (fault) throw fault;
  let children: Child[];
  if (action === 'AssumeRole') children = context.organization.assumeRole(request, params);
  else if (action === 'GetCallerIdentity') {
    const { principal } = context.organization.principalOf(request);
    children = [text('Arn', principal.arn), text('Account', principal.accountId), text('UserId', principal.arn)];
  } else throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  return document(
    element(
      `${action}Response`,
      [element(`${action}Result`, children), element('ResponseMetadata', [text('RequestId', requestId)])],
      { xmlns: STS_NAMESPACE },
    ),
  );
}

/** Query-protocol answer of ELBv2 and IAM: `<Action>Result` in the service's namespace, as SNS's. */
function answerQuery(
  context: ServiceContext,
  service: 'elbv2' | 'iam',
  action: string,
  params: Params,
  requestId: string,
): string {
  const handler = service === 'elbv2' ? ELBV2_ACTIONS[action] : IAM_ACTIONS[action];
  if (!handler) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const fault = context.faults.beforeCall(service, action);
  if (fault) throw fault;
  const children = handler(params, context.account);
  const namespace = service === 'elbv2' ? ELBV2_NAMESPACE : IAM_NAMESPACE;
  return document(
    element(
      `${action}Response`,
      [element(`${action}Result`, children), element('ResponseMetadata', [text('RequestId', requestId)])],
      { xmlns: namespace },
    ),
  );
}

/** Lambda's REST JSON API (local/emulator/lambda.ts); errors name their type in x-amzn-errortype. */
function handleLambda(
  context: ServiceContext,
  route: LambdaRoute,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
): void {
  context.calls.count(route.action, false);
  let status = 200;
  let body: Record<string, unknown>;
  const headers: Record<string, string> = {};
  try {
    if (request.method !== 'GET')
      throw new ApiError(
        'InvalidHttpRequest',
        `The HTTP method ${request.method ?? ''} is not supported; use GET`,
        405,
      );
    const fault = context.faults.beforeCall('lambda', route.action);
    if (fault) throw fault;
    body = route.answer(context.account);
    context.calls.count(route.action, true);
  } catch (error) {
    const apiError =
      error instanceof ApiError ? error : new ApiError('ServiceException', (error as Error).message, 500);
    status = apiError.status;
    headers['x-amzn-errortype'] = apiError.code;
    body = { Type: apiError.fault === 'Sender' ? 'User' : 'Service', Message: apiError.message };
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...headers,
  });
  response.end(text);
}

type JsonService = 'sqs' | 'secretsmanager' | 'events' | 'states' | 'cloudtrail' | 'organizations';

/** By X-Amz-Target prefix; CloudTrail's is documented long and sent short by the SDK. */
const JSON_SERVICES: Record<string, JsonService> = {
  AmazonSQS: 'sqs',
  secretsmanager: 'secretsmanager',
  AWSEvents: 'events',
  AWSStepFunctions: 'states',
  AWSOrganizationsV20161128: 'organizations',
  CloudTrail_20131101: 'cloudtrail',
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101': 'cloudtrail',
};
const JSON_VERSIONS: Record<JsonService, string> = {
  sqs: '1.0',
  secretsmanager: '1.1',
  events: '1.1',
  states: '1.0',
  cloudtrail: '1.1',
  organizations: '1.1',
};

function sendJson(
  response: ServerResponse,
  service: JsonService,
  status: number,
  body: unknown,
  requestId: string,
  queryError?: string,
): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': `application/x-amz-json-${JSON_VERSIONS[service]}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
  });
  response.end(text);
}

/**
 * SQS (JSON 1.0, query compatible), Secrets Manager and EventBridge (JSON 1.1) and Step Functions
 * (JSON 1.0): `{__type, message}` errors.
 */
async function handleJson(
  context: ServiceContext,
  target: string,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
): Promise<void> {
  const dot = target.lastIndexOf('.');
  const prefix = target.slice(0, dot);
  const action = target.slice(dot + 1);
  const service: JsonService = JSON_SERVICES[prefix] ?? 'secretsmanager';
  context.calls.count(action || '(no action)', false);
  try {
    if (request.method !== 'POST')
      throw new ApiError(
        'InvalidHttpRequest',
        `The HTTP method ${request.method ?? ''} is not supported; use POST`,
        405,
      );
    const text = await readBody(request);
    let input: unknown;
    try {
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new ApiError('SerializationException', 'The request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new ApiError('SerializationException', 'The request body must be a JSON object');
    if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
    let body: Record<string, unknown>;
    if (service === 'sqs') {
      const handler = SQS_ACTIONS[action];
      if (!handler)
        throw new SqsError(
          'InvalidAction',
          'AWS.SimpleQueueService.UnsupportedOperation',
          `The action ${action} is not valid for this endpoint.`,
        );
      const fault = context.faults.beforeCall('sqs', action);
      if (fault) throw fault;
      const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
      body = handler(input as Record<string, unknown>, context.account.queues, origin, context.account.accountId);
    } else if (service === 'events') {
      const handler = EVENTS_ACTIONS[action];
      if (!handler)
        throw new ApiError('UnknownOperationException', `The action ${action} is not valid for this endpoint.`);
      const fault = context.faults.beforeCall('events', action);
      if (fault) throw fault;
      body = handler(input as Record<string, unknown>, context.events);
    } else if (service === 'cloudtrail') {
      const handler = CLOUDTRAIL_ACTIONS[action];
      if (!handler)
        throw new ApiError('UnknownOperationException', `The action ${action} is not valid for this endpoint.`);
      const fault = context.faults.beforeCall('cloudtrail', action);
      if (fault) throw fault;
      body = handler(input as Record<string, unknown>, context.account);
    } else if (service === 'organizations') {
      const fault = context.faults.beforeCall('organizations', action);
      if (fault) throw fault;
      body = context.organization.answerOrganizations(request, action, input as Record<string, unknown>);
    } else if (service === 'states') {
      const handler = STATES_ACTIONS[action];
      if (!handler)
        throw new ApiError('UnknownOperationException', `The action ${action} is not valid for this endpoint.`);
      const fault = context.faults.beforeCall('states', action);
      if (fault) throw fault;
      body = handler(input as Record<string, unknown>, context.stepFunctions);
    } else {
      const handler = SECRETS_ACTIONS[action];
      if (!handler) throw new ApiError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
      const fault = context.faults.beforeCall('secretsmanager', action);
      if (fault) throw fault;
      body = handler(input as Record<string, unknown>, context.account.secrets);
    }
    context.calls.count(action, true);
    sendJson(response, service, 200, body, requestId);
  } catch (error) {
    const apiError =
      error instanceof ApiError
        ? error
        : new ApiError('InternalError', `The emulator failed: ${(error as Error)?.message ?? String(error)}`, 500);
    const type = service === 'sqs' ? `com.amazonaws.sqs#${apiError.code}` : apiError.code;
    const queryError =
      service === 'sqs'
        ? `${apiError instanceof SqsError ? apiError.queryCode : apiError.code};${apiError.fault}`
        : undefined;
    sendJson(response, service, apiError.status, { __type: type, message: apiError.message }, requestId, queryError);
  }
}
