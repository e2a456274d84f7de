import * as z from 'zod/mini';
import { fail as invalid } from './input.ts';
import type { SessionRecord } from './registry.ts';
import { INSTANCE_TAG, isManagedSession, type Session } from './types.ts';

/**
 * Someone else's change to a session autotap manages, as CloudTrail records it
 * (DeleteTrafficMirrorSession, ModifyTrafficMirrorSession). The stack's rule leaves out autotap's
 * own roles (deploy/event-rules.ts), so what arrives here is by definition another principal's call.
 */

export const TAMPER_CALLS = ['DeleteTrafficMirrorSession', 'ModifyTrafficMirrorSession'] as const;
export type TamperCallName = (typeof TAMPER_CALLS)[number];

export interface TamperCall {
  eventName: TamperCallName;
  trafficMirrorSessionId: string;
  /** Who: the identity's ARN, or its type and principal when it has none (an AWS service, say). */
  by: string;
  identityType: string;
  /** When, as CloudTrail's eventTime. */
  at: string;
  sourceIPAddress?: string;
  userAgent?: string;
  /** What a modify asked for, as its request parameters name it (the session id left out). */
  changes: Record<string, string>;
}

/**
 * A tamper call as a reconcile carries it: parsed from the event first (`resolved: false`), then
 * with the session it concerns once looked up; `ignored` says why nothing is done.
 */
export interface Tamper extends TamperCall {
  resolved: boolean;
  instanceId?: string;
  networkInterfaceId?: string;
  trafficMirrorTargetId?: string;
  ignored?: 'not-managed-by-autotap';
  /** What autotap does about it: restore (`onTamper: restore`) or only report. */
  response?: 'restore' | 'report';
}

const SESSION_ID = /^tms-[0-9a-f]{1,17}$/;

function buildSchema() {
  return z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({
      eventName: z.enum(TAMPER_CALLS, { message: `expected one of ${TAMPER_CALLS.join(', ')}` }),
      errorCode: z.optional(z.undefined({ message: 'expected a successful call (no errorCode)' })),
      eventTime: z.string({ message: 'expected the time of the call' }),
      userIdentity: z.object({
        type: z.string({ message: 'expected the identity type' }),
        arn: z.optional(z.string()),
        principalId: z.optional(z.string()),
        invokedBy: z.optional(z.string()),
      }),
      sourceIPAddress: z.optional(z.string()),
      userAgent: z.optional(z.string()),
      requestParameters: z.record(z.string(), z.unknown(), { message: "expected the call's request parameters" }),
      responseElements: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    }),
  });
}
let schema: ReturnType<typeof buildSchema> | undefined;

export function isTamperEvent(input: unknown): boolean {
  const record = (input ?? {}) as { 'detail-type'?: unknown; detail?: { eventName?: unknown } };
  return (
    record['detail-type'] === 'AWS API Call via CloudTrail' &&
    TAMPER_CALLS.includes(record.detail?.eventName as TamperCallName)
  );
}

/**
 * The request's parameters, flat. CloudTrail records what the call sent, and AWS documents no shape
 * for these two calls: some EC2 calls appear flat with camelCase names (`trafficMirrorSessionId`),
 * newer ones wrapped in `<Call>Request` with the API's names (`TrafficMirrorSessionId`). Both are read.
 */
function flatParameters(parameters: Record<string, unknown>, wrapper: string): Record<string, unknown> {
  const wrapped = parameters[wrapper];
  const flat = wrapped && typeof wrapped === 'object' ? (wrapped as Record<string, unknown>) : parameters;
  return Object.fromEntries(
    Object.entries(flat).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]),
  );
}

const NOT_CHANGES = new Set(['trafficMirrorSessionId', 'dryRun']);

const shown = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** The call from its EventBridge event; a clear error names the field when it is not such a call. */
export function parseTamperCall(input: unknown): TamperCall {
  const parsed = (schema ??= buildSchema()).safeParse(input);
  if (!parsed.success) invalid(parsed.error);
  const { detail } = parsed.data;
  const request = flatParameters(detail.requestParameters, `${detail.eventName}Request`);
  const response = flatParameters(detail.responseElements ?? {}, `${detail.eventName}Response`);
  const sessionId = request.trafficMirrorSessionId ?? response.trafficMirrorSessionId;
  if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId))
    invalid({
      issues: [
        {
          path: ['detail', 'requestParameters', 'trafficMirrorSessionId'],
          message: `expected a traffic mirror session id (tms-...), got ${JSON.stringify(sessionId)}`,
        },
      ],
    });
  const identity = detail.userIdentity;
  const changes = Object.fromEntries(
    Object.entries(request)
      .filter(([key]) => !NOT_CHANGES.has(key))
      .map(([key, value]) => [key, shown(value)]),
  );
  return {
    eventName: detail.eventName,
    trafficMirrorSessionId: sessionId,
    by: identity.arn ?? `${identity.type}:${identity.invokedBy ?? identity.principalId ?? 'unknown'}`,
    identityType: identity.type,
    at: detail.eventTime,
    ...(detail.sourceIPAddress ? { sourceIPAddress: detail.sourceIPAddress } : {}),
    ...(detail.userAgent ? { userAgent: detail.userAgent } : {}),
    changes: detail.eventName === 'ModifyTrafficMirrorSession' ? changes : {},
  };
}

export interface TamperPorts {
  lookup(trafficMirrorSessionId: string): Promise<SessionRecord | undefined>;
  /** The session as EC2 shows it now; undefined when it shows none. */
  describeSession(trafficMirrorSessionId: string): Promise<Session | undefined>;
}

/**
 * Which of autotap's sessions the call changed. A deleted session is known only to the registry; a
 * modified one still carries autotap's tag, which EC2 shows. Anyone's other sessions are ignored,
 * whoever changes them.
 */
export async function resolveTamper(
  call: TamperCall,
  onTamper: 'restore' | 'report',
  ports: TamperPorts,
): Promise<Tamper> {
  const base = { ...call, resolved: true, response: onTamper };
  if (call.eventName === 'ModifyTrafficMirrorSession') {
    const session = await ports.describeSession(call.trafficMirrorSessionId);
    if (!session || !isManagedSession(session)) return { ...base, ignored: 'not-managed-by-autotap' };
    return {
      ...base,
      instanceId: session.tags[INSTANCE_TAG] ?? '',
      networkInterfaceId: session.networkInterfaceId,
      trafficMirrorTargetId: session.trafficMirrorTargetId,
    };
  }
  const record = await ports.lookup(call.trafficMirrorSessionId);
  if (!record) return { ...base, ignored: 'not-managed-by-autotap' };
  return {
    ...base,
    instanceId: record.instanceId,
    networkInterfaceId: record.networkInterfaceId,
    trafficMirrorTargetId: record.trafficMirrorTargetId,
  };
}

/**
 * The reconcile a resolved tamper asks for: its instance, acted on (restore) or only planned
 * (report); the whole account for a session of no instance (a load balancer's ENI), nothing for
 * a session that is not autotap's.
 */
export function tamperRequest(tamper: Tamper): {
  dryRun: boolean;
  vpcIds: string[];
  instanceIds?: string[];
  tamper: Tamper;
} {
  const request = { dryRun: tamper.response === 'report', vpcIds: [], tamper };
  if (tamper.ignored) return { ...request, instanceIds: [] };
  return tamper.instanceId ? { ...request, instanceIds: [tamper.instanceId] } : request;
}

/**
 * The paragraph of the ops report that says who changed what, when, and what autotap did;
 * `acted` says whether the reconcile had anything to do (or, in report mode, would have).
 */
export function describeTamper(tamper: Tamper, acted = true): string[] {
  const verb = tamper.eventName === 'DeleteTrafficMirrorSession' ? 'deleted' : 'modified';
  const where = tamper.networkInterfaceId
    ? ` (${tamper.networkInterfaceId} of ${tamper.instanceId || 'an unknown instance'}, target ${tamper.trafficMirrorTargetId ?? 'unknown'})`
    : '';
  const changes = Object.entries(tamper.changes).map(([k, v]) => `${k}=${v}`);
  return [
    `Session ${tamper.trafficMirrorSessionId}${where} was ${verb} by ${tamper.by} (${tamper.identityType}) at ${tamper.at}` +
      `${tamper.sourceIPAddress ? ` from ${tamper.sourceIPAddress}` : ''}${tamper.userAgent ? ` with ${tamper.userAgent}` : ''}.`,
    ...(changes.length > 0 ? [`Changes asked for: ${changes.join(', ')}.`] : []),
    !tamper.resolved
      ? 'autotap could not look the session up (see the execution); the next scheduled reconcile repairs it.'
      : !acted
        ? 'Nothing to restore: the instance is not running or no longer in scope, so it gets no session.'
        : tamper.response === 'restore'
          ? 'autotap restored what its configuration asks for (onTamper: restore); the actions are below.'
          : 'autotap changed nothing (onTamper: report); the actions below are what a reconcile would do.',
    'To remove an instance from mirroring for good, tag it autotap:mirror=false (or your excludeTags).',
  ];
}
