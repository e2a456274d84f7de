import { describe, expect, test } from '@jest/globals';
import { codeBlocks, commandLines, invocation } from './markdown.ts';

describe('code blocks of the documentation', () => {
  test('a block carries the marker on the line before it, and indented blocks lose their indent', () => {
    const markdown = [
      'text',
      '<!-- docs-test: account verdict -->',
      '```sh',
      'npx autotap doctor --stage prod',
      '```',
      '',
      '   ```yaml',
      '   a: 1',
      '   ```',
    ].join('\n');
    expect(codeBlocks('README.md', markdown)).toEqual([
      { where: 'README.md:3', lang: 'sh', text: 'npx autotap doctor --stage prod', marker: ['account', 'verdict'] },
      { where: 'README.md:7', lang: 'yaml', text: 'a: 1', marker: [] },
    ]);
  });

  test('a marker separated from its block by blank lines, as Prettier writes it, applies', () => {
    const markdown = ['<!-- docs-test: account -->', '', '```sh', 'npx autotap plan --stage prod', '```'].join('\n');
    expect(codeBlocks('README.md', markdown)[0]?.marker).toEqual(['account']);
  });

  test('a marker separated from its block by text does not apply', () => {
    const markdown = ['<!-- docs-test: exists -->', 'a paragraph', '```sh', 'npm run bench', '```'].join('\n');
    expect(codeBlocks('docs/x.md', markdown)[0]?.marker).toEqual([]);
  });

  test('command lines: continuations joined, comments and blank lines dropped, # inside a word kept', () => {
    const text = [
      '# a comment',
      'npx autotap rerun --instance i-1 \\',
      '  --wait   # waits',
      '',
      "curl -H 'a#b' x",
    ].join('\n');
    expect(commandLines(text)).toEqual(['npx autotap rerun --instance i-1 --wait', "curl -H 'a#b' x"]);
  });

  test('what a line runs', () => {
    expect(invocation('npx autotap plan --stage prod')).toEqual({ kind: 'autotap', args: ['plan', '--stage', 'prod'] });
    expect(invocation('npm run package -- --stage prod')).toEqual({
      kind: 'npm-script',
      script: 'package',
      args: ['--', '--stage', 'prod'],
    });
    expect(invocation('npm start')).toEqual({ kind: 'npm-script', script: 'start', args: [] });
    expect(invocation('npm ci')).toEqual({ kind: 'npm-install' });
    expect(invocation('npx serverless deploy --stage prod')).toEqual({ kind: 'other', program: 'serverless' });
    expect(invocation("aws sqs start-message-move-task --source-arn 'arn:x'")).toEqual({
      kind: 'other',
      program: 'aws',
    });
  });
});
