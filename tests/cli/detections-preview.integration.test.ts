import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';

/** `autotap detections preview` and the detections part of `npm start`, run as a user runs them. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = path.join(root, 'node_modules', '.bin', 'node');
const cli = path.join(root, 'bin', 'autotap.js');
const samplesFile = path.join(root, 'events', 'detections', 'extrahop-detections.json');
const samples = JSON.parse(readFileSync(samplesFile, 'utf8')) as Record<string, unknown>[];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function autotap(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      node,
      [cli, ...args],
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

interface PreviewDocument {
  detections: { id: string; riskScore: number; url?: string; severity: string }[];
  sns: {
    topic: 'detections' | 'email';
    entries: {
      Id: string;
      Message: string;
      Subject?: string;
      MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
    }[];
  }[];
  email: { subject: string; body: string }[];
  slack: { text?: string; blocks?: unknown[]; version?: string }[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-preview-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
}

describe('autotap detections preview --json', () => {
  test('one JSON document: normalized detections, SNS publishes with attributes, emails and Slack messages', async () => {
    const run = await autotap([
      'detections',
      'preview',
      samplesFile,
      '--json',
      '--appliance-url',
      'https://eda.example.net/',
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const doc = JSON.parse(run.stdout) as PreviewDocument;
    expect(Object.keys(doc).sort()).toEqual(['detections', 'email', 'slack', 'sns']);

    expect(doc.detections.map((d) => d.id).sort()).toEqual(samples.map((s) => String(s.id)).sort());
    // Every detection gets a deep link; the configured appliance wins for those the payload did not name.
    expect(doc.detections.every((d) => d.url?.startsWith('https://'))).toBe(true);
    expect(doc.detections.find((d) => d.id === '90230')?.url).toBe(
      'https://eda.example.net/extrahop/#/detections/detail/90230',
    );

    const entries = (topic: string) => doc.sns.filter((b) => b.topic === topic).flatMap((b) => b.entries);
    expect(entries('detections')).toHaveLength(4);
    const notified = doc.detections.filter((d) => d.riskScore >= 30);
    expect(entries('email')).toHaveLength(notified.length);
    for (const entry of entries('email')) {
      expect(entry.MessageAttributes.riskScore).toEqual({
        DataType: 'Number',
        StringValue: expect.stringMatching(/^\d+$/),
      });
      expect(entry.Subject).toMatch(/^\[autotap\]/);
    }
    expect(JSON.parse(entries('detections')[0]!.Message)).toMatchObject({
      schema: 'autotap.detection/1',
      event: 'new',
    });

    expect(doc.email).toHaveLength(notified.length);
    expect(doc.email.map((e) => e.subject)).toEqual(entries('email').map((e) => e.Subject));
    expect(doc.email.every((e) => e.body.includes('Open in ExtraHop: https://'))).toBe(true);

    expect(doc.slack).toHaveLength(notified.length);
    expect(doc.slack.every((m) => typeof m.text === 'string' && Array.isArray(m.blocks))).toBe(true);
    expect(JSON.stringify(doc.slack)).not.toContain('undefined');
  });

  test('--min-risk and --slack-format change what is notified and how', async () => {
    const run = await autotap([
      'detections',
      'preview',
      samplesFile,
      '--json',
      '--min-risk',
      '80',
      '--slack-format',
      'amazon-q',
    ]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as PreviewDocument;
    const high = samples.filter((s) => Number(s.risk_score) >= 80).length;
    expect(doc.email).toHaveLength(high);
    expect(doc.slack).toHaveLength(high);
    expect(doc.slack.every((m) => m.version === '1.0')).toBe(true);
  });

  test('a single object is accepted as well as an array', async () => {
    const run = await autotap(['detections', 'preview', file('one.json', JSON.stringify(samples[0])), '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as PreviewDocument).detections.map((d) => d.id)).toEqual([String(samples[0]!.id)]);
  });

  test('a partly valid array: the valid ones printed, the rejected listed on stderr, exit 1', async () => {
    const body = [samples[0], { id: 77, type: 'port_scan', risk_score: 250, start_time: 1 }, samples[1]];
    const run = await autotap(['detections', 'preview', file('partial.json', JSON.stringify(body)), '--json']);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as PreviewDocument).detections).toHaveLength(2);
    expect(run.stderr).toMatch(/1 of 3 detections rejected/);
    expect(run.stderr).toMatch(/\[1\] id 77: .*risk_score: expected an integer from 1 to 99/);
  });
});

describe('autotap detections preview: invalid input', () => {
  test.each([
    ['a missing file', () => path.join(dir, 'nope.json'), /nope\.json: no such file/],
    ['invalid JSON', () => file('broken.json', '{"id": 1,'), /broken\.json: not valid JSON/],
    [
      'no valid detection',
      () => file('bad.json', JSON.stringify([{ id: 'x' }])),
      /bad\.json: no valid detection \(1 rejected\)/,
    ],
    ['an empty array', () => file('empty.json', '[]'), /empty\.json: no detections in the file/],
    ['a JSON string', () => file('string.json', '"hello"'), /string\.json: .*expected a detection object or an array/],
  ])('%s: non-zero exit, a message naming the problem, nothing on stdout', async (_, makeFile, message) => {
    const run = await autotap(['detections', 'preview', makeFile(), '--json']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  test('bad options are usage errors, exit 2', async () => {
    const noFile = await autotap(['detections', 'preview']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/FILE is required[\s\S]*usage: autotap/);
    const badRisk = await autotap(['detections', 'preview', samplesFile, '--min-risk', '120']);
    expect(badRisk.code).toBe(2);
    expect(badRisk.stderr).toMatch(/--min-risk: expected an integer from 1 to 99/);
  });
});

describe('autotap detections preview: text', () => {
  test('a section per detection with its attributes, email and Slack JSON', async () => {
    const run = await autotap(['detections', 'preview', samplesFile]);
    expect(run.code).toBe(0);
    const sections = run.stdout.split(/^== /m).slice(1);
    expect(sections).toHaveLength(samples.length);
    const icmp = sections.find((s) => s.includes('4294967311'))!;
    expect(icmp).toMatch(/^1\. \[HIGH 85\] ICMP Tunnel/);
    expect(icmp).toMatch(/risk\s+85 \(high\)/);
    expect(icmp).toContain('Subject: [autotap][HIGH 85] ICMP Tunnel');
    expect(icmp).toMatch(/Slack \(message \d of \d\)\n\s+\{\n\s+"text":/);
    const low = sections.find((s) => s.includes('90230'))!;
    expect(low).toContain('email topic: nothing');
    expect(low).not.toContain('Subject:');
    expect(run.stdout).toMatch(/Nothing was sent\.\n$/);
  });
});

describe('npm start (autotap demo)', () => {
  test('shows the mirroring tables, then the detections with one email and one Slack rendering', async () => {
    const run = await autotap(['demo']);
    expect(run.code).toBe(0);
    const out = run.stdout;
    const mirroring = out.indexOf('Mirror sessions in the account afterwards');
    const detections = out.indexOf('Detections: ');
    expect(mirroring).toBeGreaterThan(-1);
    expect(out).toMatch(/session\s+ENI\s+number\s+target\s+filter\s+created by/);
    expect(detections).toBeGreaterThan(mirroring);
    const tail = out.slice(detections);
    for (const s of samples) expect(tail).toContain(String(s.id));
    expect(tail).toMatch(/Email for detection \d+:\n\s+Subject: \[autotap\]\[/);
    expect(tail).toMatch(/Slack message for detection \d+:\n\s+\| # :red_circle:/);
    expect(tail).toContain('npx autotap detections preview events/detections/extrahop-detections.json');
  }, 60_000);
});
