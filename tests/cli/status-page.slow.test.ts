import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { generateFleet } from '../../local/bench/fleet.ts';
import { scenarioStatusCommand } from '../../local/commands.ts';
import { startLocalAutotap } from '../../local/environment.ts';
import * as ec2 from '../../src/aws/ec2.ts';
import { mirroringOf } from '../../src/config/created.ts';
import { planAccountWithSnapshot } from '../../src/mirroring/plan-account.ts';
import { accountStatus, type AccountStatus } from '../../src/mirroring/status.ts';
import { renderStatusPage } from '../../cli/status-page.ts';

/**
 * `autotap status --html` opened in a real headless Chromium (Debian's `chromium`; `.ci/run`
 * installs it, and sets AUTOTAP_BROWSER_REQUIRED so that a missing browser fails there): what the
 * page shows is what `--json` says of the demo account, and the page asks for nothing beyond itself.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && !process.env.AUTOTAP_BROWSER_REQUIRED)
  console.warn(`status page test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const browserTest = available || process.env.AUTOTAP_BROWSER_REQUIRED ? test : test.skip;

let dir: string;
let browser: Browser | undefined;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'autotap-status-'));
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function demoStatus(): Promise<{ status: AccountStatus & { stage: string }; page: string }> {
  const page = path.join(dir, 'status.html');
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    expect(await scenarioStatusCommand(['--scenario', 'scenarios/demo.yml', '--json', '--html', page], root)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return { status: JSON.parse(out) as AccountStatus & { stage: string }, page };
}

browserTest(
  "the page shows the demo account's coverage, views and targets as --json gives them, and loads nothing else",
  async () => {
    const { status, page: file } = await demoStatus();
    expect(status.enis.inScope).toBeGreaterThan(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
    await page.goto(`file://${file}`);
    expect(requests).toEqual([`file://${file}`]);
    expect(errors).toEqual([]);
    expect(await page.title()).toBe('autotap status: dev');

    const figure = (name: string) => page.locator(`[data-figure="${name}"]`).innerText();
    expect(await figure('coverage')).toMatch(new RegExp(`^${status.coveragePercent}%`));
    expect(await figure('in-scope')).toBe(String(status.enis.inScope));
    expect(await figure('mirrored')).toBe(String(status.enis.mirrored));
    expect(await figure('not-mirrored')).toBe(String(status.enis.notMirrored));
    expect(await figure('out-of-scope')).toBe(String(status.enis.outOfScope));
    expect(await figure('sessions')).toBe(String(status.sessions.autotap));

    // Each reason, VPC, zone and target is a row, with its figures.
    const rows = (view: string) => page.locator(`[data-view="${view}"] tbody tr`);
    expect(await rows('not-mirrored').count()).toBe(status.notMirrored.length);
    for (const { reason, enis } of status.notMirrored)
      expect(await rows('not-mirrored').filter({ hasText: reason }).locator('td.n').innerText()).toBe(String(enis));
    expect(await rows('zone').count()).toBe(status.byZone.length);
    for (const zone of status.byZone) {
      const row = page.locator(`[data-view="zone"] tr[data-key="${zone.availabilityZone}"]`);
      expect(await row.locator('td.n').allInnerTexts()).toEqual([
        String(zone.inScope),
        String(zone.mirrored),
        `${Math.round((1000 * zone.mirrored) / zone.inScope) / 10}%`,
      ]);
      // The bar is drawn to the share: its fill's width against the bar's, as laid out.
      const [fill, whole] = await Promise.all([row.locator('.fill').boundingBox(), row.locator('.bar').boundingBox()]);
      expect(fill!.width / whole!.width).toBeCloseTo(zone.mirrored / zone.inScope, 2);
    }
    expect(await rows('vpc').count()).toBe(status.byVpc.length);
    expect(await rows('targets').count()).toBe(status.targets.length);
    for (const t of status.targets)
      expect(
        await page.locator(`[data-view="targets"] tr[data-key="${t.trafficMirrorTargetId}"] td.n`).first().innerText(),
      ).toBe(String(t.sources));
    expect(await page.locator('[data-view="orphans"]').innerText()).toContain(
      status.sessionsWithoutReason.length === 0
        ? 'Every autotap session has a reason to exist.'
        : status.sessionsWithoutReason[0]!.reason,
    );
    // Self-contained: no script, no link, no image from elsewhere.
    expect(readFileSync(file, 'utf8')).not.toMatch(/<script|<link|src="|url\(/);
  },
  60_000,
);

browserTest(
  "a fleet of 1,000 instances: the page's figures and rows are the emulated account's, every orphan listed",
  async () => {
    const fleet = generateFleet({ instances: 1000 });
    const local = await startLocalAutotap(fleet.seed, fleet.config);
    let status: AccountStatus;
    try {
      const mirroring = mirroringOf(fleet.config);
      const planned = await planAccountWithSnapshot(mirroring, ec2, []);
      status = accountStatus(planned.snapshot, planned.actions, mirroring);
    } finally {
      await local.close();
    }
    const file = path.join(dir, 'fleet.html');
    writeFileSync(file, renderStatusPage(status, { stage: 'fleet', takenAt: '2026-12-07T12:00:00.000Z' }));
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${file}`);
    const figure = (name: string) => page.locator(`[data-figure="${name}"]`).innerText();
    // As generated: the ENIs waiting for the reconcile, and the stale sessions of excluded instances.
    expect(await figure('not-mirrored')).toBe(String(fleet.expected.creates));
    expect(await figure('in-scope')).toBe(String(status.enis.inScope));
    expect(await figure('mirrored')).toBe(String(status.enis.inScope - fleet.expected.creates));
    expect(await page.locator('[data-view="orphans"] tbody tr').count()).toBe(fleet.expected.deletes);
    expect(await page.locator('[data-view="zone"] tbody tr').count()).toBe(2);
    const targetRows = page.locator('[data-view="targets"] tbody tr');
    expect(await targetRows.count()).toBe(status.targets.length);
    expect(status.targets.length).toBeGreaterThan(1);
  },
  120_000,
);
