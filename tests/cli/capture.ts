import { jest } from '@jest/globals';

/** Runs `fn` with stdout, stderr and console.log captured (not printed); restores them after. */
export async function captureOutput<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; stdout: string; stderr: string; logged: number }> {
  let stdout = '';
  let stderr = '';
  const out = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const result = await fn();
    return { result, stdout, stderr, logged: log.mock.calls.length };
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}
