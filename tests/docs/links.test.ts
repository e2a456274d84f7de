import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { documentationFiles } from './markdown.ts';

/** Every relative link of README.md and docs/ reaches a file, and its #anchor a heading there. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] ?? '')));
}

describe('links in the documentation', () => {
  test('GitHub anchors as the tests expect them', () => {
    expect(anchor('Before and after a deploy: `autotap doctor`')).toBe('before-and-after-a-deploy-autotap-doctor');
  });

  test.each(documentationFiles(root))('%s: every relative link resolves', (file) => {
    const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const [filePart, hash] = target.split('#');
      const resolved = filePart ? path.join(root, path.dirname(file), filePart) : path.join(root, file);
      if (!existsSync(resolved)) broken.push(`${target}: no file`);
      else if (hash && !anchorsOf(resolved).has(hash)) broken.push(`${target}: no heading #${hash}`);
    }
    expect(broken).toEqual([]);
  });
});
