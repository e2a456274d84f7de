import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { METRICS } from '../../src/observability/metrics.ts';

/** docs/operations.md's table of metrics is the catalog's: every metric, with its dimensions, and no other. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test("operations.md lists exactly the catalog's metrics, each with its dimensions", () => {
  const text = readFileSync(path.join(root, 'docs', 'operations.md'), 'utf8');
  const rows = [...text.matchAll(/^\| `([A-Za-z]+)` +\| ([^|]*)\|/gm)].map((m) => [
    m[1],
    [...(m[2] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((d) => d[1]),
  ]);
  const listed = Object.fromEntries(rows.filter(([name]) => /^[A-Z]/.test(name as string)));
  expect(listed).toEqual(Object.fromEntries(Object.entries(METRICS).map(([name, m]) => [name, [...m.dimensions]])));
});
