/**
 * A stage far past what Lambda's 4 KB of environment variables could carry, and at every limit
 * packaging checks: 200 mirror targets, 190 ops emails, 200 detection email recipients (SNS's 200
 * filter policies per topic), the webhook's reserved concurrency at the most the default account
 * quota leaves beside Slack's (898), and the longest stage name the generated names allow (34
 * characters). package.slow.test.ts packages it once; these tests check that its functions carry no
 * configuration in their environment, that each bundle holds its part, and that a handler runs on
 * what was packaged.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { startEmulator, type Emulator } from '../../local/emulator/index.ts';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, measureEnvironments } from '../../deploy/package-limits.ts';
import { mirroringOf } from '../../src/config/created.ts';
import type { Config } from '../../src/config/schema.ts';
import { invokeBundle, loadBundle, readZip, REGION, type Template } from './inspect.ts';

/** 34 characters: autotap-<stage>-normalizeCleanupInput is then Lambda's 64 (deploy/name-limits.ts). */
export const LARGE_STAGE = `large-${'x'.repeat(28)}`;
/** The default 1,000 concurrent executions, less the 100 Lambda keeps unreserved and Slack's 2. */
export const LARGE_WEBHOOK_RESERVED_CONCURRENCY = 898;
export const LARGE_COUNT = 200;
/**
 * Ops emails beside the 200 recipients: each address is a subscription, one resource, and the stack's
 * own ~105 resources (alarms and dashboard among them) leave room for 195 in CloudFormation's 500.
 */
export const LARGE_OPS_EMAILS = 190;

const hex17 = (n: number) => n.toString(16).padStart(17, '0');
const targetId = (n: number) => `tmt-${hex17(n)}`;
/** The one target in us-east-1c: with crossAz same-only, an instance there can only get this one. */
const LAST_TARGET = targetId(LARGE_COUNT - 1);

/** config/large.yml (JSON is YAML): the detections fixture's detections, and everything times 200. */
export function largeStageDocument(detectionsFixture: Config): Record<string, unknown> {
  return {
    mirroring: {
      filterId: 'tmf-0a1b2c3d4e5f60718',
      targets: Array.from({ length: LARGE_COUNT }, (_, n) =>
        n === LARGE_COUNT - 1
          ? { id: targetId(n), availabilityZone: 'us-east-1c' }
          : { id: targetId(n), availabilityZone: 'us-east-1a', maxSources: 100 },
      ),
      crossAz: 'same-only',
      sessionNumber: { preferred: 7 },
    },
    notifications: { opsEmails: Array.from({ length: LARGE_OPS_EMAILS }, (_, n) => `ops-${n}@example.com`) },
    detections: {
      ...detectionsFixture.detections,
      webhook: { ...detectionsFixture.detections!.webhook, reservedConcurrency: LARGE_WEBHOOK_RESERVED_CONCURRENCY },
      emails: Array.from({ length: LARGE_COUNT }, (_, n) => ({
        address: `soc-${n}@example.com`,
        minRiskScore: 1 + (n % 99),
      })),
    },
  };
}

export interface LargeStagePackage {
  template: Template;
  dir: string;
  config: Config;
  temporaryDirs: string[];
}

const functionsOf = (template: Template) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

const moduleOf = (handler: string) => `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;

export function registerLargeStageTests(get: () => LargeStagePackage): void {
  describe(`a stage with ${LARGE_COUNT} targets, ${LARGE_OPS_EMAILS} ops emails and ${LARGE_COUNT} detection recipients`, () => {
    let suite: LargeStagePackage;
    beforeAll(() => {
      suite = get();
    });

    const zipOf = (logicalId: string) => {
      const key = logicalId.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      const handler = String(suite.template.Resources[logicalId]!.Properties.Handler);
      const entries = readZip(path.join(suite.dir, '.serverless', `${key}.zip`));
      return { modulePath: moduleOf(handler), bundle: entries.get(moduleOf(handler))! };
    };

    test('packages: every function, each environment well under 4 KB and without the configuration', () => {
      const functions = functionsOf(suite.template);
      expect(functions).toHaveLength(14);
      const measured = measureEnvironments({
        functions: Object.fromEntries(
          functions.map(([id, r]) => [
            id,
            (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
          ]),
        ),
        resources: suite.template.Resources,
        region: REGION,
      });
      for (const { name, bytes, variables } of measured) {
        expect({ name, over: bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES / 4 }).toEqual({ name, over: false });
        expect(variables.map(([key]) => key)).not.toContain('AUTOTAP_CONFIG');
      }
      console.log(`large stage: largest function environment ${measured[0]!.bytes} bytes (${measured[0]!.name})`);
    });

    test('each bundle holds the sections its code reads, and never the ops emails', () => {
      const mirroring = JSON.stringify(suite.config.mirroring);
      const detections = JSON.stringify(suite.config.detections);
      const readers = {
        mirroring: [
          'AttachSession',
          'ResolveInterfaces',
          'ReconcileRound',
          'ReconcileSlice',
          'Summarize',
          'CoalesceTagChanges',
        ],
        detections: ['DetectionsPoll', 'DetectionsWebhook', 'DetectionsProcess', 'SlackNotify'],
      };
      for (const [logicalId] of functionsOf(suite.template)) {
        const text = zipOf(logicalId).bundle.toString('utf8');
        const name = logicalId.replace(/LambdaFunction$/, '');
        expect({ name, mirroring: text.includes(mirroring) }).toEqual({
          name,
          mirroring: readers.mirroring.includes(name),
        });
        expect({ name, detections: text.includes(detections) }).toEqual({
          name,
          detections: readers.detections.includes(name),
        });
        expect({ name, opsEmail: text.includes('ops-199@example.com') }).toEqual({ name, opsEmail: false });
      }
    });

    test('every bundle loads with no configuration in its environment', async () => {
      const extracted = mkdtempSync(path.join(os.tmpdir(), 'autotap-large-bundles-'));
      suite.temporaryDirs.push(extracted);
      for (const [logicalId] of functionsOf(suite.template)) {
        const { modulePath, bundle } = zipOf(logicalId);
        expect(await loadBundle(bundle, modulePath, path.join(extracted, logicalId), {})).toBe('function');
      }
    });

    describe('resolveInterfaces runs on the packaged configuration', () => {
      let emulator: Emulator;
      beforeAll(async () => {
        emulator = await startEmulator({
          // Every configured target exists; only the last is in the instance's zone.
          targets: suite.config.mirroring.targets.map((t) =>
            t.id === LAST_TARGET
              ? { id: t.id, type: 'network-load-balancer' as const, availabilityZone: 'us-east-1c' }
              : { id: t.id, type: 'network-load-balancer' as const, availabilityZone: t.availabilityZone },
          ),
          filters: [{ id: mirroringOf(suite.config).filterId }],
          instances: [
            {
              id: 'i-0123456789abcdef0',
              availabilityZone: 'us-east-1c',
              networkInterfaces: [{ id: 'eni-0123456789abcdef0' }],
            },
          ],
        });
      });
      afterAll(() => emulator.close());

      test('the instance in us-east-1c gets the 200th target and the preferred session number 7', async () => {
        const extracted = mkdtempSync(path.join(os.tmpdir(), 'autotap-large-invoke-'));
        suite.temporaryDirs.push(extracted);
        const { modulePath, bundle } = zipOf('ResolveInterfacesLambdaFunction');
        const event = {
          request: { instanceIds: ['i-0123456789abcdef0'], networkInterfaceIds: [], dryRun: false, trigger: 'manual' },
        };
        const env = { ...emulator.env(), POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_MAX_ATTEMPTS: '2' };
        const plan = (await invokeBundle(bundle, modulePath, extracted, env, event)) as {
          attachments: { networkInterfaceId: string; trafficMirrorTargetId: string; sessionNumber: number }[];
          missingTargets: string[];
        };
        expect(plan.attachments).toEqual([
          expect.objectContaining({
            networkInterfaceId: 'eni-0123456789abcdef0',
            trafficMirrorTargetId: LAST_TARGET,
            sessionNumber: 7,
          }),
        ]);
        expect(plan.missingTargets).toEqual([]);
      });
    });

    test('the configuration packaged is config/large.yml as validated', () => {
      const written = JSON.parse(readFileSync(path.join(suite.dir, 'config', `${LARGE_STAGE}.yml`), 'utf8')) as {
        mirroring: { targets: unknown[] };
      };
      expect(written.mirroring.targets).toHaveLength(LARGE_COUNT);
      expect(suite.config.notifications.opsEmails).toHaveLength(LARGE_OPS_EMAILS);
      expect(suite.config.detections!.emails).toHaveLength(LARGE_COUNT);
    });

    test('at the limits: the longest stage, the largest reservation and 200 filter policies deploy as configured', () => {
      const functionNames = functionsOf(suite.template).map(([, r]) => String(r.Properties.FunctionName));
      expect(Math.max(...functionNames.map((name) => name.length))).toBe(64);
      expect(suite.template.Resources.DetectionsWebhookLambdaFunction!.Properties.ReservedConcurrentExecutions).toBe(
        LARGE_WEBHOOK_RESERVED_CONCURRENCY,
      );
      const reserved = functionsOf(suite.template).reduce(
        (sum, [, r]) => sum + Number(r.Properties.ReservedConcurrentExecutions ?? 0),
        0,
      );
      expect(reserved).toBe(900);
      const filtered = Object.values(suite.template.Resources).filter(
        (r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.FilterPolicy !== undefined,
      );
      expect(filtered).toHaveLength(200);
    });
  });
}
