import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { describeIssues } from '../src/validation.ts';
import { parseSeed, type ParsedEmulatorSeed } from './emulator/index.ts';
import { STATE_MACHINES } from './environment.ts';
import { isEventBridgeEvent } from './eventbridge/router.ts';
import { homeSeed, scenarioOrganizationSchema, type ScenarioOrganization } from './scenario-organization.ts';

/**
 * One entry of a scenario's `events`: an event as EventBridge carries it (it has `source` and
 * `detail-type`), delivered through the stack's rules; or a start by hand, as from the Step Functions
 * console: `{stateMachine, input}`, or any other mapping, which is mirror-instances' input.
 */
export type ScenarioEvent =
  | { via: 'eventbridge'; event: Record<string, unknown> }
  | { via: 'console'; stateMachine: (typeof STATE_MACHINES)[number]; input: unknown };

/**
 * A scenario: an emulated account (the emulator's seed), the events to run through the stack's
 * rules and state machines, and optionally the configuration to run them with.
 */
export interface Scenario {
  seed: ParsedEmulatorSeed;
  /**
   * Sessions the registry holds beyond the seed's autotap sessions: ones autotap created and someone
   * has since deleted, so that EC2 no longer shows them.
   */
  recorded: RecordedSession[];
  events: ScenarioEvent[];
  concurrency: number;
  config?: Config;
  /** Set when the scenario holds `accounts:` (local/scenario-organization.ts); `seed` is then the central account's home. */
  organization?: ScenarioOrganization;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

const explicitEvent = z
  .object({
    stateMachine: z.enum(STATE_MACHINES),
    // Required: zod's own word for a missing unknown() is "expected nonoptional", which says nothing.
    input: z.unknown().refine((input) => input !== undefined, {
      message: 'expected the execution input, such as {} or { dryRun: true }',
    }),
  })
  .strict();

const recordedSchema = z
  .object({
    id: z.string().regex(/^tms-[0-9a-f]{1,17}$/, { message: 'expected a traffic mirror session id (tms-...)' }),
    networkInterfaceId: z.string().regex(/^eni-[0-9a-f]{1,17}$/, { message: 'expected an ENI id (eni-...)' }),
    instanceId: z.string().regex(/^i-[0-9a-f]{1,17}$/, { message: 'expected an instance id (i-...)' }),
    targetId: z.string().regex(/^tmt-[0-9a-f]{1,17}$/, { message: 'expected a traffic mirror target id (tmt-...)' }),
    sessionNumber: z.number().int().min(1).max(32766).default(1),
  })
  .strict();
export type RecordedSession = z.infer<typeof recordedSchema>;

const scenarioPartsSchema = z.object({
  recorded: z.array(recordedSchema).default([]),
  events: z.array(z.record(z.string(), z.unknown()), { message: 'expected a list of events or inputs' }).default([]),
  concurrency: z.number().int().min(1).max(64).default(1),
  config: z.unknown().optional(),
});

export function parseScenario(document: unknown, origin = 'scenario'): Scenario {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ScenarioError(`${origin}: expected a mapping with region, targets, filters, instances, sessions, events`);
  }
  const { recorded, events, concurrency, config, central, accounts, shares, ...single } = document as Record<
    string,
    unknown
  >;
  let organization: ScenarioOrganization | undefined;
  let seed = single;
  if (central !== undefined || accounts !== undefined || shares !== undefined) {
    const parsed = scenarioOrganizationSchema.safeParse({ central, accounts, shares });
    if (!parsed.success) throw new ScenarioError(`${origin}: ${describeIssues(parsed.error)}`);
    organization = parsed.data;
    const clash = Object.keys(single).filter((key) => !['faults', 'undocumented', 'concurrency'].includes(key));
    if (clash.length > 0)
      throw new ScenarioError(
        `${origin}: ${clash.join(', ')}: with accounts, each account's Regions hold the resources (expected accounts[].regions.<region>.${clash[0]})`,
      );
    seed = { ...single, ...homeSeed(organization) };
  }
  const parts = scenarioPartsSchema.safeParse({ recorded, events, concurrency, config });
  if (!parts.success) throw new ScenarioError(`${origin}: ${describeIssues(parts.error)}`);
  const parsedEvents = parts.data.events.map((event, i): ScenarioEvent => {
    if ('stateMachine' in event) {
      const explicit = explicitEvent.safeParse(event);
      if (!explicit.success) throw new ScenarioError(`${origin}: ${describeIssues(explicit.error, `events[${i}]`)}`);
      return { via: 'console', stateMachine: explicit.data.stateMachine, input: explicit.data.input };
    }
    if (isEventBridgeEvent(event)) return { via: 'eventbridge', event };
    return { via: 'console', stateMachine: 'mirror-instances', input: event };
  });
  let parsedSeed: ParsedEmulatorSeed;
  try {
    parsedSeed = parseSeed(seed, origin);
  } catch (error) {
    throw new ScenarioError((error as Error).message);
  }
  return {
    seed: parsedSeed,
    recorded: parts.data.recorded,
    events: parsedEvents,
    concurrency: parts.data.concurrency,
    ...(parts.data.config !== undefined ? { config: parseConfig(parts.data.config, `${origin}: config`) } : {}),
    ...(organization ? { organization } : {}),
  };
}

export function readScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ScenarioError(`${path}: scenario file not found`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ScenarioError(`${path}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  return parseScenario(document, path);
}
