import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { MirroringSection } from '../config/schema.ts';
import { envelopePlace, fail as invalid, INSTANCE_ARN, INSTANCE_ID } from './input.ts';
import { MAX_RECONCILE_INSTANCE_IDS } from './reconcile-input.ts';

/**
 * Tag changes of instances, queued by the tag rules (src/mirroring/event-rules.ts) and coalesced
 * here before they start `reconcile`: automation that tags a thousand instances at once sends a
 * thousand events, or more, from two sources (Tags' own `Tag Change on Resource`, one per resource,
 * and CloudTrail's `CreateTags` / `DeleteTags`, one per call). Each instance is evaluated once per
 * batch of the queue, whichever events and however many named it.
 */

/** What one tag event says: which instances, and which tag keys changed on them. */
export interface TagChange {
  instanceIds: string[];
  keys: string[];
  /** The account and Region of the event (its envelope's): a member's instances are reconciled there. */
  place?: { accountId: string; region: string };
}

export const TAG_CALLS = ['CreateTags', 'DeleteTags'] as const;

function buildSchemas() {
  // https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-tag.html: `resources` holds the
  // resource's ARN, `detail.changed-tag-keys` the keys added, changed or removed.
  const tagChange = z.object({
    source: z.literal('aws.tag'),
    'detail-type': z.literal('Tag Change on Resource', { message: 'expected "Tag Change on Resource"' }),
    resources: z.array(z.string({ message: 'expected a resource ARN' })).check(z.minLength(1)),
    detail: z.object({
      service: z.literal('ec2', { message: 'expected "ec2"' }),
      'changed-tag-keys': z.array(z.string({ message: 'expected a tag key' })),
    }),
  });
  // EC2's calls as CloudTrail logs them: `resourcesSet.items[].resourceId` names every resource the
  // call tagged (instances among volumes, ENIs, ...), `tagSet.items[].key` the keys. A DeleteTags
  // without tagSet removes every tag (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html).
  const tagCall = z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({
      eventName: z.enum(TAG_CALLS, { message: 'expected "CreateTags" or "DeleteTags"' }),
      errorCode: z.optional(z.undefined({ message: 'expected a successful call (no errorCode)' })),
      requestParameters: z.object({
        resourcesSet: z.object({
          items: z.array(z.object({ resourceId: z.string({ message: 'expected a resource id' }) })),
        }),
        tagSet: z.optional(
          z.object({ items: z.array(z.object({ key: z.string({ message: 'expected a tag key' }) })) }),
        ),
      }),
    }),
  });
  return { tagChange, tagCall };
}

let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (built ??= buildSchemas());

/** Every tag key, whatever its name: a DeleteTags without tags removes them all. */
export const ALL_KEYS = '*';

/** The instances and keys of one queued event, or InvalidInput naming the field that is wrong. */
export function parseTagChange(event: unknown): TagChange {
  const record = (event ?? {}) as Record<string, unknown>;
  const change = changeOf(event, record);
  const place = envelopePlace(record);
  return place ? { ...change, place } : change;
}

function changeOf(event: unknown, record: Record<string, unknown>): TagChange {
  if (record.source === 'aws.tag') {
    const parsed = schemas().tagChange.safeParse(event);
    if (!parsed.success) invalid(parsed.error);
    const instanceIds = parsed.data.resources.flatMap((arn) => INSTANCE_ARN.exec(arn)?.[1] ?? []);
    return { instanceIds: [...new Set(instanceIds)], keys: parsed.data.detail['changed-tag-keys'] };
  }
  if (record.source === 'aws.ec2') {
    const parsed = schemas().tagCall.safeParse(event);
    if (!parsed.success) invalid(parsed.error);
    const { resourcesSet, tagSet } = parsed.data.detail.requestParameters;
    const instanceIds = resourcesSet.items.map((item) => item.resourceId).filter((id) => INSTANCE_ID.test(id));
    return { instanceIds: [...new Set(instanceIds)], keys: tagSet ? tagSet.items.map((t) => t.key) : [ALL_KEYS] };
  }
  return invalid({
    issues: [
      {
        path: ['source'],
        message: 'expected "aws.tag" (Tag Change on Resource) or "aws.ec2" (CloudTrail CreateTags/DeleteTags)',
      },
    ],
  });
}

/** The opt-out tag of the default scope (excludeTags `autotap:mirror: "false"`). */
export const OPT_OUT_TAG_KEY = 'autotap:mirror';

/**
 * The tag keys that decide an instance's scope (includeTags, excludeTags; the opt-out tag is an
 * excludeTags entry). A change of any other key cannot change scope, so it starts nothing. A scope
 * that names no key has the opt-out key instead: the rule's pattern needs one (an empty list is not a
 * pattern), and it is the key a user would try first.
 */
export function scopeTagKeys(scope: MirroringSection['scope']): string[] {
  const keys = [...new Set([...Object.keys(scope.includeTags), ...Object.keys(scope.excludeTags)])].sort();
  return keys.length > 0 ? keys : [OPT_OUT_TAG_KEY];
}

export const changesScope = (change: TagChange, scopeKeys: readonly string[]) =>
  change.instanceIds.length > 0 && change.keys.some((key) => key === ALL_KEYS || scopeKeys.includes(key));

export interface QueuedTagChange {
  messageId: string;
  change: TagChange;
}

/** One `reconcile` to start: its instances, and the messages it answers for. */
export interface CoalescedReconcile {
  instanceIds: string[];
  messageIds: string[];
  place?: { accountId: string; region: string };
}

export interface Coalesced {
  reconciles: CoalescedReconcile[];
  /** Messages that name no instance, or only keys outside the scope: nothing to do. */
  ignored: string[];
}

/**
 * The reconciles one batch needs: each instance once, in the order first named, at most
 * MAX_RECONCILE_INSTANCE_IDS per execution. A message answers to every reconcile holding one of its
 * instances, so a reconcile that cannot be started hands back exactly the messages that need it.
 */
export function coalesceTagChanges(
  messages: readonly QueuedTagChange[],
  scopeKeys: readonly string[],
  perExecution = MAX_RECONCILE_INSTANCE_IDS,
): Coalesced {
  const reconcileOf = new Map<string, number>();
  const reconciles: CoalescedReconcile[] = [];
  // Instance ids are unique within an account and Region only: each place gets its own reconciles.
  const lastOf = new Map<string, number>();
  const ignored: string[] = [];
  for (const { messageId, change } of messages) {
    if (!changesScope(change, scopeKeys)) {
      ignored.push(messageId);
      continue;
    }
    const mine = new Set<number>();
    const at = change.place ? `${change.place.accountId}/${change.place.region}` : '';
    for (const id of change.instanceIds) {
      let index = reconcileOf.get(`${at} ${id}`);
      if (index === undefined) {
        const last = lastOf.get(at);
        if (last === undefined || reconciles[last]!.instanceIds.length >= perExecution) {
          reconciles.push({ instanceIds: [], messageIds: [], ...(change.place ? { place: change.place } : {}) });
          lastOf.set(at, reconciles.length - 1);
        }
        index = lastOf.get(at)!;
        reconciles[index]!.instanceIds.push(id);
        reconcileOf.set(`${at} ${id}`, index);
      }
      mine.add(index);
    }
    for (const index of mine) reconciles[index]!.messageIds.push(messageId);
  }
  return { reconciles, ignored };
}

/**
 * The execution's name: the same messages give the same name, so a batch delivered again (the
 * handler timed out after starting it) finds its execution already there instead of starting a
 * second one. Step Functions names are at most 80 characters of [A-Za-z0-9_-]
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export function reconcileExecutionName(reconcile: CoalescedReconcile): string {
  const digest = createHash('sha256')
    .update([...reconcile.messageIds].sort().join('\n'))
    .update('\0')
    .update(reconcile.instanceIds.join('\n'))
    .update(reconcile.place ? `\0${reconcile.place.accountId}/${reconcile.place.region}` : '')
    .digest('hex');
  return `tags-changed-${digest.slice(0, 40)}`;
}
