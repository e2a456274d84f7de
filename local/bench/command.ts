import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../../cli/args.ts';
import { UsageError } from '../../cli/errors.ts';
import { measureBundles, type BundleResults } from './bundles.ts';
import { DEFAULT_DETECTIONS, runDetectionsBench, type DetectionsParams, type DetectionsResult } from './detections.ts';
import { DEFAULT_PAGE_TIMING, runPageTiming, type PageTimingParams } from './detections-page.ts';
import { renderDetections } from './detections-render.ts';
import { DEFAULT_WINDOW } from './detections-scenario.ts';
import { evaluateDetectionsTargets } from './detections-targets.ts';
import type { TargetCheck } from './metrics.ts';
import { DEFAULT_FLEET } from './fleet.ts';
import { DEFAULT_RECONCILE_MEMORY, evaluateReconcileMemoryTargets, renderReconcileMemory, runReconcileMemoryBench } from './reconcile-memory.ts';
import { DEFAULT_ORGANIZATION, evaluateOrganizationTargets, renderOrganization, runOrganizationBench, type OrganizationBenchParams, type OrganizationResult } from './organization.ts';
import { DEFAULT_FLEET_SCALE, runFleetScaleBench, type FleetScaleParams, type FleetScaleResult } from './fleet-scale.ts';
import { DEFAULT_MIRRORING, runMirroringBench, type MirroringParams, type MirroringResult } from './mirroring.ts';
import { computeLatency, type LatencyResult } from './latency.ts';
import { DEFAULT_PEER_SCHEDULE, runPeersBench, type PeersResult } from './peers.ts';
import { PEER_STRATEGIES } from './peer-strategies.ts';
import { renderBundles, renderFleetScale, renderLatency, renderMirroring, renderPeers, renderTargets } from './render.ts';
import { DEFAULT_BURST } from './scenario.ts';
import { evaluateBundleTargets, evaluateTargets } from './targets.ts';

/** `autotap bench`: options, the run, bench/results.json and the printed tables. */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_FILE = join(ROOT, 'bench', 'results.json');

export const BENCH_USAGE = `  bench [--quick] [--instances N] [--concurrency N] [--scale X] [--describe-capacity N]
        [--describe-refill N] [--mutate-capacity N] [--mutate-refill N] [--duplicate-share F]
        [--two-eni-share F] [--excluded-share F] [--unsupported-share F] [--seed N]
        [--load-samples N] [--skip-bundles] [--out FILE] [--json]
        [--only mirroring|detections|fleet|organization|bundles] [--skip-detections] [--detections N] [--backlog N] [--page-size N]
        [--sqs-batch-size N] [--compare-batch-sizes N,N] [--update-share F] [--exact-duplicate-share F]
        [--page-detections N] [--sqs-latency-ms N]
        [--skip-fleet] [--fleet-instances N] [--fleet-terminated N] [--memory-sizes N,N]
        [--skip-peers] [--peers NAME,NAME] [--scan-period S] [--scan-phase S]
        [--skip-organization] [--org-accounts N] [--org-instances N]
      Benchmark a launch burst through the real workflow on the local AWS under EC2-like
      throttling, one poll window of detections through the real detection Lambdas (SQS,
      DynamoDB, SNS), and the Lambda bundles; writes bench/results.json (what \`npm run bench\` does).
      --quick: 20 instances, buckets 20/20 and 5/5, so throttling still happens in seconds;
      300 detections.
      Detections: 10,000 by default, page size 1000, SQS batch size 10 (Lambda's default), then the
      same window again at each --compare-batch-sizes (default 100; "" for none). The poll's
      largest page: --page-detections (default 20,000, --quick 2,000; 0 for none) in one page
      with every SQS call --sqs-latency-ms slower (default 20), beside a one-call-at-a-time baseline.
      Fleet scale: a scheduled reconcile of 20,000 running instances (1-3 ENIs each) and the
      cleanup-sessions executions after 5,000 of them terminate, against Step Functions' quotas
      (--quick: 1,000 and 250); then the reconciler's memory and CPU, one dry-run round and one
      detach cleanup over each of --memory-sizes instances (default 10000,20000,30000; --quick
      1000,2000; "" for none), projected to 50,000.
      Organization: one scheduled reconcile over --org-accounts member accounts (default 50) x 2
      Regions, --org-instances instances in all (default 20,000; --quick 5 and 1,000), each account
      and Region with the burst's EC2 buckets of its own.
      Alternatives (with the mirroring half): ${PEER_STRATEGIES.map((p) => p.name).join(', ')} on the same
      burst and throttling; --peers picks some, --skip-peers none; scanning ones every --scan-period
      model seconds (default ${DEFAULT_PEER_SCHEDULE.scanPeriodSeconds}), the launch --scan-phase seconds before a scan
      (default ${DEFAULT_PEER_SCHEDULE.scanPhaseSeconds}).
      Bundles (--only bundles for them alone): each Lambda built as packaging builds it for the dev
      stage and loaded next to its AWS SDK floor in each of --load-samples rounds.`;

export interface BenchOptions {
  mirroring: Partial<MirroringParams>;
  /** False with --only detections. */
  runMirroring: boolean;
  /** Null with --skip-detections or --only mirroring. */
  detections: Partial<DetectionsParams> | null;
  /** With the detections half: the poll's largest page on a slow queue; null with --page-detections 0. */
  page: PageTimingParams | null;
  /** Null with --skip-fleet or --only mirroring / detections. */
  fleet: Partial<FleetScaleParams> | null;
  /** Null with --skip-organization or another --only. */
  organization: Partial<OrganizationBenchParams> | null;
  /** With the fleet half: fleet sizes of the reconcile memory run; empty for none. */
  memorySizes: number[];
  /** Null with --skip-peers or without the mirroring half. */
  peers: { names: string[]; scanPeriodSeconds: number; scanPhaseSeconds: number } | null;
  loadSamples: number;
  bundles: boolean;
  out: string;
  json: boolean;
}

export interface BenchResults {
  generatedAt: string;
  command: string;
  /** Null when left out (--only detections). */
  mirroring: MirroringResult | null;
  /** Null when left out (--skip-detections, --only mirroring); its targets are in `detections.targets`. */
  detections: DetectionsResult | null;
  /** Null when left out (--skip-fleet, --only mirroring / detections). */
  fleet: FleetScaleResult | null;
  /** Null when left out (--skip-organization, another --only). */
  organization: OrganizationResult | null;
  /** The alternatives on the burst; null when left out (--skip-peers, no mirroring half). */
  peers: PeersResult | null;
  /** Launch-to-mirrored latency per ENI, autotap and the alternatives; null without the mirroring half. */
  latency: LatencyResult | null;
  bundles: BundleResults | null;
  /** The mirroring targets (bundle sizes included). */
  targets: TargetCheck[];
}

function number(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean = (n) => n >= 0): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || !check(parsed)) throw new UsageError(`bench: --${name} ${value} is not a valid value`);
  return parsed;
}

export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseCommandArgs('bench', {
    args,
    options: {
      quick: { type: 'boolean', default: false },
      instances: { type: 'string' },
      concurrency: { type: 'string' },
      scale: { type: 'string' },
      'describe-capacity': { type: 'string' },
      'describe-refill': { type: 'string' },
      'mutate-capacity': { type: 'string' },
      'mutate-refill': { type: 'string' },
      'duplicate-share': { type: 'string' },
      'two-eni-share': { type: 'string' },
      'excluded-share': { type: 'string' },
      'unsupported-share': { type: 'string' },
      seed: { type: 'string' },
      'load-samples': { type: 'string' },
      'skip-bundles': { type: 'boolean', default: false },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      'skip-detections': { type: 'boolean', default: false },
      backlog: { type: 'string' },
      detections: { type: 'string' },
      'page-size': { type: 'string' },
      'page-detections': { type: 'string' },
      'sqs-latency-ms': { type: 'string' },
      'sqs-batch-size': { type: 'string' },
      'compare-batch-sizes': { type: 'string' },
      'update-share': { type: 'string' },
      'exact-duplicate-share': { type: 'string' },
      'skip-fleet': { type: 'boolean', default: false },
      'skip-organization': { type: 'boolean', default: false },
      'org-accounts': { type: 'string' },
      'org-instances': { type: 'string' },
      'fleet-instances': { type: 'string' },
      'fleet-terminated': { type: 'string' },
      'memory-sizes': { type: 'string' },
      'skip-peers': { type: 'boolean', default: false },
      peers: { type: 'string' },
      'scan-period': { type: 'string' },
      'scan-phase': { type: 'string' },
    },
  });
  const only = values.only;
  if (only !== undefined && !['mirroring', 'detections', 'fleet', 'organization', 'bundles'].includes(only)) {
    throw new UsageError(`bench: --only ${only}: expected mirroring, detections, fleet, organization or bundles`);
  }
  if (only === 'bundles' && values['skip-bundles']) throw new UsageError('bench: --only bundles and --skip-bundles leave nothing to run');
  const quick = values.quick ?? false;
  const base = quick
    ? { instances: 20, concurrency: 10, scale: 4, describe: { capacity: 20, refillPerSecond: 20 }, mutate: { capacity: 5, refillPerSecond: 5 }, loadSamples: 3 }
    : { instances: DEFAULT_BURST.instances, ...DEFAULT_MIRRORING, loadSamples: 7 };
  const positive = (n: number) => n > 0;
  const share = (n: number) => n >= 0 && n <= 1;
  const integer = (n: number) => Number.isInteger(n) && n >= 1;
  // Lambda's SQS event source takes batches of 1 to 10,000 records (more than 10 with a batching window).
  const batchSize = (n: number) => Number.isInteger(n) && n >= 1 && n <= 10_000;
  const compare = (values['compare-batch-sizes'] ?? (quick ? '100' : DEFAULT_DETECTIONS.compareBatchSizes.join(',')))
    .split(',')
    .filter((v) => v.trim() !== '')
    .map((v) => number('compare-batch-sizes', v.trim(), 0, batchSize));
  const detections: Partial<DetectionsParams> = {
    window: {
      detections: number('detections', values.detections, quick ? 300 : DEFAULT_WINDOW.detections, integer),
      updateShare: number('update-share', values['update-share'], DEFAULT_WINDOW.updateShare, share),
      duplicateShare: number('exact-duplicate-share', values['exact-duplicate-share'], DEFAULT_WINDOW.duplicateShare, share),
      seed: number('seed', values.seed, DEFAULT_WINDOW.seed, Number.isInteger),
    },
    pageSize: number('page-size', values['page-size'], DEFAULT_DETECTIONS.pageSize, (n) => Number.isInteger(n) && n >= 1 && n <= 20_000),
    sqsBatchSize: number('sqs-batch-size', values['sqs-batch-size'], DEFAULT_DETECTIONS.sqsBatchSize, batchSize),
    compareBatchSizes: compare,
    backlog: number('backlog', values.backlog, quick ? 2_000 : DEFAULT_DETECTIONS.backlog, (n) => Number.isInteger(n) && n >= 0),
  };
  const pageDetections = number('page-detections', values['page-detections'], quick ? 2_000 : DEFAULT_PAGE_TIMING.detections, (n) => Number.isInteger(n) && n >= 0 && n <= 20_000);
  const page: PageTimingParams | null =
    pageDetections > 0 ? { detections: pageDetections, sqsLatencyMs: number('sqs-latency-ms', values['sqs-latency-ms'], DEFAULT_PAGE_TIMING.sqsLatencyMs, (n) => n >= 0) } : null;
  const memorySizes = (values['memory-sizes'] ?? (quick ? '1000,2000' : DEFAULT_RECONCILE_MEMORY.sizes.join(',')))
    .split(',')
    .filter((v) => v.trim() !== '')
    .map((v) => number('memory-sizes', v.trim(), 0, integer))
    .sort((a, b) => a - b);
  if (memorySizes.length === 1) throw new UsageError('bench: --memory-sizes needs at least two sizes (or "" for none)');
  const fleetInstances = number('fleet-instances', values['fleet-instances'], quick ? 1000 : DEFAULT_FLEET.instances, integer);
  const fleet: Partial<FleetScaleParams> = {
    fleet: { instances: fleetInstances, seed: number('seed', values.seed, DEFAULT_FLEET.seed, Number.isInteger) },
    terminated: Math.min(fleetInstances, number('fleet-terminated', values['fleet-terminated'], quick ? 250 : DEFAULT_FLEET_SCALE.terminated, integer)),
  };
  const known = PEER_STRATEGIES.map((p) => p.name);
  const names = (values.peers ?? known.join(',')).split(',').map((v) => v.trim()).filter((v) => v !== '');
  for (const name of names) {
    if (!known.includes(name)) throw Object.assign(new Error(`bench: --peers ${name}: expected one of ${known.join(', ')}`), { name: 'UsageError' });
  }
  const runMirroring = only === undefined || only === 'mirroring';
  const scanPeriodSeconds = number('scan-period', values['scan-period'], DEFAULT_PEER_SCHEDULE.scanPeriodSeconds, (n) => n >= 60);
  const peers =
    runMirroring && !(values['skip-peers'] ?? false)
      ? { names, scanPeriodSeconds, scanPhaseSeconds: number('scan-phase', values['scan-phase'], Math.min(DEFAULT_PEER_SCHEDULE.scanPhaseSeconds, scanPeriodSeconds / 2), (n) => n >= 0 && n <= scanPeriodSeconds) }
      : null;
  return {
    peers,
    detections: (only !== undefined && only !== 'detections') || (values['skip-detections'] ?? false) ? null : detections,
    page,
    fleet: (only !== undefined && only !== 'fleet') || (values['skip-fleet'] ?? false) ? null : fleet,
    organization:
      (only !== undefined && only !== 'organization') || (values['skip-organization'] ?? false)
        ? null
        : {
            accounts: number('org-accounts', values['org-accounts'], quick ? 5 : DEFAULT_ORGANIZATION.accounts, integer),
            instances: number('org-instances', values['org-instances'], quick ? 1000 : DEFAULT_ORGANIZATION.instances, integer),
          },
    memorySizes,
    runMirroring,
    mirroring: {
      burst: {
        instances: number('instances', values.instances, base.instances, integer),
        duplicateShare: number('duplicate-share', values['duplicate-share'], DEFAULT_BURST.duplicateShare, share),
        twoEniShare: number('two-eni-share', values['two-eni-share'], DEFAULT_BURST.twoEniShare, share),
        excludedShare: number('excluded-share', values['excluded-share'], DEFAULT_BURST.excludedShare, share),
        unsupportedShare: number('unsupported-share', values['unsupported-share'], DEFAULT_BURST.unsupportedShare, share),
        seed: number('seed', values.seed, DEFAULT_BURST.seed, Number.isInteger),
      },
      concurrency: number('concurrency', values.concurrency, base.concurrency, integer),
      scale: number('scale', values.scale, base.scale, positive),
      describe: {
        capacity: number('describe-capacity', values['describe-capacity'], base.describe.capacity, integer),
        refillPerSecond: number('describe-refill', values['describe-refill'], base.describe.refillPerSecond, positive),
      },
      mutate: {
        capacity: number('mutate-capacity', values['mutate-capacity'], base.mutate.capacity, integer),
        refillPerSecond: number('mutate-refill', values['mutate-refill'], base.mutate.refillPerSecond, positive),
      },
    },
    loadSamples: number('load-samples', values['load-samples'], base.loadSamples, integer),
    bundles: !(values['skip-bundles'] ?? false),
    out: values.out ?? RESULTS_FILE,
    json: values.json ?? false,
  };
}

export async function runBenchmark(options: BenchOptions, command = 'autotap bench', log: (line: string) => void = () => undefined): Promise<BenchResults> {
  let mirroring: MirroringResult | null = null;
  if (options.runMirroring) {
    log('mirroring: running the burst ...');
    mirroring = await runMirroringBench({ ...options.mirroring, onProgress: log });
  }
  let peers: PeersResult | null = null;
  if (options.peers && mirroring) {
    const m = mirroring.params;
    const strategies = PEER_STRATEGIES.filter((p) => options.peers?.names.includes(p.name));
    peers = await runPeersBench(
      { burst: m.burst, concurrency: m.concurrency, scale: m.scale, describe: m.describe, mutate: m.mutate, scanPeriodSeconds: options.peers.scanPeriodSeconds, scanPhaseSeconds: options.peers.scanPhaseSeconds },
      strategies,
      log,
    );
  }
  let detections: DetectionsResult | null = null;
  if (options.detections) {
    detections = await runDetectionsBench({ ...options.detections, onProgress: log });
    if (options.page) detections.page = await runPageTiming(options.page, log);
  }
  let fleet: FleetScaleResult | null = null;
  if (options.fleet) {
    fleet = await runFleetScaleBench({ ...options.fleet, onProgress: log });
    if (options.memorySizes.length > 0) fleet.memory = await runReconcileMemoryBench({ sizes: options.memorySizes, onProgress: log });
  }
  let organization: OrganizationResult | null = null;
  if (options.organization) organization = await runOrganizationBench({ ...options.organization, onProgress: log });
  let bundles: BundleResults | null = null;
  if (options.bundles) {
    log('bundles: building each Lambda and timing its load ...');
    bundles = await measureBundles(options.loadSamples);
  }
  if (detections) detections.targets = evaluateDetectionsTargets(detections, bundles);
  const latency = mirroring ? computeLatency(mirroring, peers, bundles) : null;
  return {
    generatedAt: new Date().toISOString(),
    command,
    mirroring,
    detections,
    fleet,
    organization,
    peers,
    latency,
    bundles,
    targets: [
      ...(mirroring ? evaluateTargets(mirroring, bundles) : []),
      ...evaluateBundleTargets(bundles),
      ...(fleet?.memory ? evaluateReconcileMemoryTargets(fleet.memory) : []),
      ...(organization ? evaluateOrganizationTargets(organization) : []),
    ],
  };
}

export function renderResults(results: BenchResults): string {
  const targets = [...results.targets, ...(results.detections?.targets ?? [])];
  return [
    ...(results.mirroring ? [renderMirroring(results.mirroring), ''] : []),
    ...(results.peers ? [renderPeers(results.mirroring, results.peers), ''] : []),
    ...(results.latency ? [renderLatency(results.latency), ''] : []),
    ...(results.detections ? [renderDetections(results.detections), ''] : []),
    ...(results.fleet ? [renderFleetScale(results.fleet), ''] : []),
    ...(results.fleet?.memory ? [renderReconcileMemory(results.fleet.memory), ''] : []),
    ...(results.organization ? [renderOrganization(results.organization), ''] : []),
    ...(results.bundles ? [renderBundles(results.bundles), ''] : []),
    ...(targets.length > 0 ? [renderTargets(targets)] : []),
  ].join('\n');
}

export async function benchCommand(args: string[]): Promise<number> {
  const options = parseBenchArgs(args);
  const command = ['autotap bench', ...args].join(' ');
  const results = await runBenchmark(options, command, (line) => process.stderr.write(`${line}\n`));
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderResults(results)}\n\nResults: ${options.out}\n`);
  // A missed target is a finding the tables report, not a failure of the command.
  return 0;
}
