import type { AccountStatus, CoverageCell } from '../src/mirroring/status.ts';

/**
 * `autotap status --html FILE`: one self-contained page (no script, no external asset; styles and
 * bars inline) that a person reads at a glance: the coverage, then what is not mirrored and why,
 * coverage by VPC and by zone, each target's load against what it takes, and the sessions the
 * reconciler would delete. Every figure is the AccountStatus's; each block has a `data-view` so that
 * a test in a browser can find what it shows.
 */

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((1000 * part) / whole) / 10);

/** A bar of `part` against `whole`, green for mirrored, with the figures beside it. */
function bar(part: number, whole: number, tone: 'good' | 'load' = 'good'): string {
  const width = Math.min(100, pct(part, whole));
  const level =
    tone === 'load'
      ? width >= 90
        ? 'bad'
        : width >= 70
          ? 'warn'
          : 'ok'
      : width >= 95
        ? 'ok'
        : width >= 70
          ? 'warn'
          : 'bad';
  return `<div class="bar" role="img" aria-label="${width}%"><div class="fill ${level}" style="width:${width}%"></div></div>`;
}

function coverageRows<K extends string>(cells: (Record<K, string> & CoverageCell)[], key: K): string {
  return cells
    .map(
      (c) =>
        `<tr data-key="${escape(c[key])}"><th scope="row">${escape(c[key])}</th><td class="n">${c.inScope}</td><td class="n">${c.mirrored}</td><td class="n">${pct(c.mirrored, c.inScope)}%</td><td class="wide">${bar(c.mirrored, c.inScope)}</td></tr>`,
    )
    .join('');
}

function coverageTable<K extends string>(
  title: string,
  view: string,
  cells: (Record<K, string> & CoverageCell)[],
  key: K,
  label: string,
): string {
  return `<section data-view="${view}"><h2>${title}</h2><table><thead><tr><th>${label}</th><th>in scope</th><th>mirrored</th><th>share</th><th></th></tr></thead><tbody>${coverageRows(cells, key)}</tbody></table></section>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#b9c0cf}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px;padding:22px 28px}
section{background:#fff;border-radius:8px;padding:16px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:15px;margin:0 0 10px;color:#3a4358}
.headline{grid-column:1/-1;display:flex;gap:36px;align-items:center;flex-wrap:wrap}
.big{font-size:44px;font-weight:700}.big small{font-size:16px;font-weight:400;color:#5b6478}
.figures{display:flex;gap:26px;flex-wrap:wrap}.figures div{min-width:90px}.figures b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;font-size:14px;white-space:nowrap}
thead th{color:#5b6478;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}td.wide{width:38%}
.bar{background:#e6e9ef;border-radius:4px;height:12px;overflow:hidden}.fill{height:100%}
.fill.ok{background:#2e9e5b}.fill.warn{background:#e0a526}.fill.bad{background:#d2463c}
.none{color:#5b6478}
`;

export function renderStatusPage(status: AccountStatus, meta: { stage: string; takenAt: string }): string {
  const { enis } = status;
  const coverage = status.coveragePercent === null ? '-' : `${status.coveragePercent}%`;
  const reasons =
    status.notMirrored.length === 0
      ? '<p class="none">Every in-scope ENI is mirrored.</p>'
      : `<table><thead><tr><th>reason</th><th>ENIs</th><th></th></tr></thead><tbody>${status.notMirrored
          .map(
            (r) =>
              `<tr data-key="${escape(r.reason)}"><th scope="row">${escape(r.reason)}</th><td class="n">${r.enis}</td><td class="wide">${bar(r.enis, enis.notMirrored, 'load')}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const targets = status.targets
    .map((t) => {
      const takes = t.maxSources === undefined ? 'no limit' : String(t.maxSources);
      const load = t.loadPercent === undefined ? '' : bar(t.sources, t.maxSources ?? 0, 'load');
      return `<tr data-key="${escape(t.trafficMirrorTargetId)}"><th scope="row">${escape(t.trafficMirrorTargetId)}</th><td>${escape(t.kind)}</td><td>${escape(t.availabilityZone ?? 'any')}</td><td class="n">${t.sources}</td><td class="n">${takes}</td><td class="n">${t.loadPercent === undefined ? '-' : `${t.loadPercent}%`}</td><td class="wide">${load}</td></tr>`;
    })
    .join('');
  const orphans =
    status.sessionsWithoutReason.length === 0
      ? '<p class="none">Every autotap session has a reason to exist.</p>'
      : `<table><thead><tr><th>session</th><th>ENI</th><th>instance</th><th>why</th></tr></thead><tbody>${status.sessionsWithoutReason
          .map(
            (s) =>
              `<tr data-key="${escape(s.trafficMirrorSessionId)}"><th scope="row">${escape(s.trafficMirrorSessionId)}</th><td>${escape(s.networkInterfaceId)}</td><td>${escape(s.instanceId || '-')}</td><td>${escape(s.reason)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>autotap status: ${escape(meta.stage)}</title><style>${STYLE}</style></head>
<body><header><h1>autotap status: ${escape(meta.stage)}</h1><p>The account as described at <time datetime="${escape(meta.takenAt)}">${escape(meta.takenAt)}</time>, against the stage's configuration.</p></header>
<main>
<section class="headline" data-view="coverage"><div class="big" data-figure="coverage">${coverage} <small>of the in-scope ENIs mirrored</small></div>
<div class="figures"><div><b data-figure="in-scope">${enis.inScope}</b>in scope</div><div><b data-figure="mirrored">${enis.mirrored}</b>mirrored</div><div><b data-figure="not-mirrored">${enis.notMirrored}</b>not mirrored</div><div><b data-figure="out-of-scope">${enis.outOfScope}</b>out of scope</div><div><b data-figure="sessions">${status.sessions.autotap}</b>autotap sessions</div><div><b data-figure="hourly">$${status.sessions.hourlyUsd.toFixed(4)}</b>an hour</div></div>
<div style="flex:1;min-width:240px">${bar(enis.mirrored, enis.inScope)}</div></section>
<section data-view="not-mirrored"><h2>Not mirrored, by reason</h2>${reasons}</section>
${coverageTable('By VPC', 'vpc', status.byVpc, 'vpcId', 'VPC')}
${coverageTable('By zone', 'zone', status.byZone, 'availabilityZone', 'zone')}
<section data-view="targets"><h2>Targets: load against what each takes</h2><table><thead><tr><th>target</th><th>kind</th><th>zone</th><th>sources</th><th>takes</th><th>load</th><th></th></tr></thead><tbody>${targets}</tbody></table></section>
<section data-view="orphans"><h2>autotap sessions without a reason to exist</h2>${orphans}</section>
</main></body></html>
`;
}
