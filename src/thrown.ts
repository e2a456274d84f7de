/**
 * What a thrown value says. JavaScript lets anything be thrown, and `catch` gives `unknown`: this
 * narrows it once instead of asserting `(error as Error)` at each catch.
 */
export interface Thrown {
  name: string;
  message: string;
}

export function describeThrown(error: unknown): Thrown {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: typeof error, message: String(error) };
}
