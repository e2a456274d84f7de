import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * One Lambda container, as a child process of the benchmark: it loads one handler, then runs the
 * invocations the parent sends one at a time (as a warm container does) and answers with the
 * response, the AWS calls the handler's SDK clients made, its memory and its CPU time. Its memory is a
 * container's memory: the emulator, dynalite and the appliance live in the parent.
 *
 * For the detection functions, the calls are counted by a middleware on the shared clients the
 * handlers use (src/aws/*.ts), once per command sent (SDK retries are attempts of the same command);
 * the parent cross-checks them against the emulator's and dynalite's own logs. Other functions load
 * only what their handler imports, so that their memory is their own.
 */

export type ContainerFunction = 'detections-poll' | 'detections-process' | 'reconcile-round' | 'reconcile-slice';

const COUNTED: readonly ContainerFunction[] = ['detections-poll', 'detections-process'];

export interface AwsCall {
  command: string;
  /** TopicArn or QueueUrl of SNS and SQS calls. */
  target?: string;
  /** Entries of a batch call. */
  entries?: number;
  /** Error name, when the call failed (ConditionalCheckFailedException included). */
  error?: string;
}

export interface InvocationReport {
  response: unknown;
  error?: string;
  ms: number;
  calls: AwsCall[];
  heapBefore: number;
  /** Highest heapUsed sampled during the invocation. */
  heapPeak: number;
  /** Peak RSS of the container so far (getrusage). */
  maxRss: number;
  /** CPU time of the invocation, user and system, in ms. */
  cpuMs: number;
}

export interface ContainerReady {
  kind: 'ready';
  /** After the runtime started, before the handler module was imported. */
  runtime: { rss: number; heapUsed: number };
  /** After the import: the container's footprint before its first invocation. */
  loaded: { rss: number; heapUsed: number };
  importMs: number;
}

type Request = { kind: 'invoke'; id: number; event: unknown; timeoutMs: number; memoryMb: number };

interface Middlewared {
  middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string }): void };
}

const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

async function main(): Promise<void> {
  const fn = process.argv[2] as ContainerFunction;
  const runtime = { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed };
  const started = performance.now();
  // A bundle as packaging builds it, when the parent gives one; else the handler's source.
  const { handler } = (await import(process.argv[3] ?? `../../functions/${fn}.ts`)) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  const importMs = performance.now() - started;

  let calls: AwsCall[] = [];
  const count = (client: Middlewared) =>
    client.middlewareStack.add(
      (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown> }) => {
          const input = args.input;
          const call: AwsCall = { command: (context.commandName ?? 'unknown').replace(/Command$/, '') };
          const target = input.TopicArn ?? input.QueueUrl;
          if (typeof target === 'string') call.target = target;
          const entries = input.PublishBatchRequestEntries ?? input.Entries;
          if (Array.isArray(entries)) call.entries = entries.length;
          calls.push(call);
          try {
            return await next(args);
          } catch (error) {
            call.error = (error as Error)?.name ?? 'Error';
            throw error;
          }
        },
      { step: 'initialize', name: 'benchCallCount' },
    );
  if (COUNTED.includes(fn)) {
    // The handlers take these same clients: one per container, keyed by endpoint.
    count((await import('../../src/aws/sns.ts')).snsClient());
    count((await import('../../src/aws/sqs.ts')).sqsClient());
    count((await import('../../src/aws/dynamodb.ts')).dynamoClient());
  }

  const ready: ContainerReady = { kind: 'ready', runtime, loaded: { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed }, importMs };
  process.send?.(ready);

  process.on('message', (message: Request) => {
    if (message.kind !== 'invoke') return;
    void (async () => {
      calls = [];
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      // Sampling catches the high-water mark between awaits, where a batch holds the most.
      const sampler = setInterval(() => {
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }, 2);
      const deadline = Date.now() + message.timeoutMs;
      const context = {
        functionName: `autotap-bench-${fn}`,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:autotap-bench-${fn}`,
        memoryLimitInMB: String(message.memoryMb),
        awsRequestId: randomUUID(),
        logGroupName: `/aws/lambda/autotap-bench-${fn}`,
        logStreamName: 'bench',
        callbackWaitsForEmptyEventLoop: false,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
      } as Context;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      let response: unknown;
      let error: string | undefined;
      try {
        response = await handler(message.event, context);
      } catch (e) {
        error = `${(e as Error)?.name}: ${(e as Error)?.message}`;
      }
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(sampler);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      const report: InvocationReport = { response, ms, calls, heapBefore, heapPeak, maxRss: maxRssBytes(), cpuMs: (cpu.user + cpu.system) / 1000 };
      if (error) report.error = error;
      process.send?.({ kind: 'done', id: message.id, report });
    })();
  });
}

void main().catch((error: Error) => {
  process.send?.({ kind: 'failed', error: `${error.name}: ${error.message}` });
  process.exitCode = 1;
});
