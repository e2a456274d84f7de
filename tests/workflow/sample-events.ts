import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { LocalAutotap } from '../../local/environment.ts';
import { routeEvent } from '../../local/eventbridge/router.ts';
import * as ec2 from '../../src/aws/ec2.ts';
import type { Config } from '../../src/config/schema.ts';

/** The sample event events/<file> (as AWS delivers it to EventBridge). */
export const sampleEvent = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/**
 * The sample CloudTrail event of someone's call about `sessionId`, with the request parameters in
 * either shape CloudTrail may use.
 */
export function sessionCallEvent(
  eventName: 'DeleteTrafficMirrorSession' | 'ModifyTrafficMirrorSession',
  sessionId: string,
  parameters: Record<string, unknown> = {},
  shape: 'wrapped' | 'flat' = 'wrapped',
): Record<string, unknown> {
  const event = sampleEvent(
    eventName === 'DeleteTrafficMirrorSession'
      ? 'cloudtrail-delete-traffic-mirror-session.json'
      : 'cloudtrail-modify-traffic-mirror-session.json',
  );
  const detail = event.detail as Record<string, unknown>;
  const requestParameters =
    shape === 'wrapped'
      ? { [`${eventName}Request`]: { TrafficMirrorSessionId: sessionId, ...parameters } }
      : {
          trafficMirrorSessionId: sessionId,
          ...Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v])),
        };
  return { ...event, detail: { ...detail, requestParameters, responseElements: null } };
}

/**
 * Someone else deletes one of autotap's sessions: the call, then its CloudTrail event delivered
 * through the packaged rules (exactly one rule matches); returns the execution it started.
 */
export async function deleteAsSomeoneElse(local: LocalAutotap, sessionId: string, config: Config) {
  await ec2.deleteSession(sessionId);
  const deliveries = routeEvent(sessionCallEvent('DeleteTrafficMirrorSession', sessionId, {}, 'flat'), 'dev', config);
  expect(deliveries.map((d) => d.rule)).toEqual(['autotap-dev-session-tampered']);
  return local.run(deliveries[0]!.stateMachine, deliveries[0]!.input);
}
