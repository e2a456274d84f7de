import { AsyncLocalStorage } from 'node:async_hooks';
import { isThrottling } from './errors.ts';

/**
 * How often AWS throttled an invocation's calls, by service. The SDK retries a throttled call on its
 * own, so the adapters never see the throttles it overcame: a middleware inside the SDK's retry loop
 * counts every throttled attempt instead. Counts belong to the invocation whose async context made
 * the call (AsyncLocalStorage), so that invocations running side by side in one process, as the
 * local AWS runs them, keep their own.
 */

export type ThrottleCounts = Record<string, number>;

const current = new AsyncLocalStorage<ThrottleCounts>();
const counted = new WeakSet<object>();

/** The part of an SDK v3 client this needs: its middleware stack. */
interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: 'deserialize'; priority: 'high'; name: string },
    ): void;
  };
}

/** Counts the client's throttled attempts as `service`'s; returns the client. */
export function countThrottles<C extends object>(client: C, service: string): C {
  if (counted.has(client)) return client;
  counted.add(client);
  // The deserialize step runs once per attempt, below the retry middleware (finalizeRequest); at
  // high priority it wraps the deserializer, and so sees the error parsed, with AWS's code.
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const counts = current.getStore();
        if (counts && isThrottling(error)) counts[service] = (counts[service] ?? 0) + 1;
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'autotapThrottleCount' },
  );
  return client;
}

/** Runs `work` with its own throttle counts; `done` gets them whether it succeeds or throws. */
export async function countingThrottles<T>(work: () => Promise<T>, done: (counts: ThrottleCounts) => void): Promise<T> {
  const counts: ThrottleCounts = {};
  try {
    return await current.run(counts, work);
  } finally {
    done(counts);
  }
}
