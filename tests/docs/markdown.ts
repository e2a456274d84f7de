import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The fenced code blocks of README.md and docs/*.md, with the `<!-- docs-test: ... -->` marker on the
 * line before each, blank lines between them allowed (docs/development.md, "How the documentation is tested").
 */
export interface CodeBlock {
  /** `README.md:42`: where the block starts. */
  where: string;
  lang: string;
  text: string;
  /** The marker's words, e.g. ['account', 'verdict']; empty without a marker. */
  marker: string[];
}

const MARKER = /^\s*<!-- docs-test: ([^>]*?) -->\s*$/;

export function documentationFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort();
  return ['README.md', ...docs.map((f) => path.join('docs', f))];
}

export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? '')) {
      body.push((lines[j] ?? '').slice(indent));
      j++;
    }
    // The marker is the line before the block, or before the blank line Prettier puts between them.
    let above = i - 1;
    while (above > 0 && (lines[above] ?? '').trim() === '') above--;
    const marker =
      MARKER.exec(lines[above] ?? '')?.[1]
        ?.trim()
        .split(/\s+/) ?? [];
    blocks.push({ where: `${file}:${i + 1}`, lang: open[2] ?? '', text: body.join('\n'), marker });
    i = j;
  }
  return blocks;
}

/** The command lines of a shell block: continuations joined, comments and blank lines dropped. */
export function commandLines(text: string): string[] {
  return text
    .replace(/\s*\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The words of a command line; quotes group words (no expansion: the docs' commands need none). */
export function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

export type Invocation =
  | { kind: 'autotap'; args: string[] }
  | { kind: 'npm-script'; script: string; args: string[] }
  | { kind: 'npm-install' }
  | { kind: 'other'; program: string };

/** What a documented command line runs: autotap, an npm script, an install, or another tool. */
export function invocation(line: string): Invocation {
  const w = words(line);
  if (w[0] === 'npx' && w[1] === 'autotap') return { kind: 'autotap', args: w.slice(2) };
  if (w[0] === 'autotap') return { kind: 'autotap', args: w.slice(1) };
  if (w[0] === 'npm' && (w[1] === 'ci' || w[1] === 'install')) return { kind: 'npm-install' };
  if (w[0] === 'npm' && (w[1] === 'start' || w[1] === 'test'))
    return { kind: 'npm-script', script: w[1], args: w.slice(2) };
  if (w[0] === 'npm' && w[1] === 'run' && w[2]) return { kind: 'npm-script', script: w[2], args: w.slice(3) };
  return { kind: 'other', program: w[0] === 'npx' ? (w[1] ?? 'npx') : (w[0] ?? '') };
}

export function readDocumentation(root: string): CodeBlock[] {
  return documentationFiles(root).flatMap((file) => codeBlocks(file, readFileSync(path.join(root, file), 'utf8')));
}
