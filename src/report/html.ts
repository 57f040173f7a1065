// One self-contained HTML page for people and ticket attachments: no script, no external asset
// (inline CSS and inline SVG only, and a Content-Security-Policy that forbids anything else), so it
// opens offline in any browser. The verdicts grouped by category with their evidence and what to
// do, the run's target and the vantage points, and pictures where a result measured something:
//
//   evidence.samplesMs: number[]  latency samples (ms): a strip of dots and a histogram, the p50,
//                                 and the limit line (evidence.limitMs, else the "< N ms" of the
//                                 result's threshold: 10 ms for postgres.latency)
//   evidence.bindMs: number       time to bind a PVC (ms): a bar against evidence.bindLimitMs when given
//
// Every text from the report is escaped (summaries and evidence can hold "<", "&", quotes).
import type { CheckResult, EvidenceValue, Status } from '../engine/types.ts';
import { escapeHtml as esc } from '../redact.ts';
import { STATUS_LABEL } from './color.ts';
import { groupByCategory, type Report } from './model.ts';

const ORDER: Status[] = ['fail', 'error', 'warn', 'pass', 'skip'];
const COLOR: Record<Status, string> = { pass: '#1a7f37', warn: '#9a6700', fail: '#cf222e', error: '#8250df', skip: '#6e7781' };

/** The numbers a result's evidence carries for a picture (see the header for the field names). */
export function measurements(r: CheckResult): { samplesMs?: number[]; limitMs?: number; bindMs?: number; bindLimitMs?: number } {
  const e = r.evidence;
  const nums = (v: EvidenceValue | undefined) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as number[]) : undefined);
  const num = (v: EvidenceValue | undefined) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const fromThreshold = r.threshold ? /<=?\s*(\d+(?:\.\d+)?)\s*ms\b/.exec(r.threshold.value)?.[1] : undefined;
  const samplesMs = nums(e.samplesMs);
  const limitMs = num(e.limitMs) ?? (fromThreshold !== undefined ? Number(fromThreshold) : undefined);
  const bindMs = num(e.bindMs);
  const bindLimitMs = num(e.bindLimitMs);
  return { ...(samplesMs ? { samplesMs } : {}), ...(limitMs !== undefined ? { limitMs } : {}), ...(bindMs !== undefined ? { bindMs } : {}), ...(bindLimitMs !== undefined ? { bindLimitMs } : {}) };
}

const fmt = (n: number) => {
  const s = n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
};

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Latency samples as a small SVG on a log scale (round trips span 0.05 ms on loopback to 100 ms
 * across regions; a linear axis squeezes one end to a line): a histogram above a strip of dots,
 * the p50 line, and the limit line dashed.
 */
export function latencySvg(samples: readonly number[], limitMs: number | undefined): string {
  const W = 420;
  const H = 112;
  const left = 10;
  const right = W - 10;
  const base = 70;
  const sorted = [...samples].sort((a, b) => a - b);
  const positive = sorted.filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(positive[0] ?? 0.01, limitMs ?? Infinity)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(sorted[sorted.length - 1]!, limitMs ?? 0, 10 ** lo * 1.0001))));
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (right - left);
  const bins = 10 * (hi - lo);
  const counts = new Array<number>(bins).fill(0);
  for (const v of sorted) counts[Math.min(bins - 1, Math.max(0, Math.floor(((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * bins)))]!++;
  const top = Math.max(...counts);
  const bw = (right - left) / bins;
  const bars = counts
    .map((c, i) => (c ? `<rect class="bar" x="${(left + i * bw).toFixed(1)}" y="${(base - 2 - (c / top) * 44).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${((c / top) * 44).toFixed(1)}"><title>${c} sample${c === 1 ? '' : 's'}</title></rect>` : ''))
    .join('');
  const dots = samples.map((v, i) => `<circle class="dot" cx="${x(v).toFixed(1)}" cy="${base + 7 + (i % 3) * 4}" r="2.5"><title>${esc(fmt(v))} ms</title></circle>`).join('');
  const ticks: string[] = [];
  for (let d = lo; d <= hi; d++) {
    const tx = x(10 ** d).toFixed(1);
    ticks.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="20" y2="${base + 20}"/><text class="tick" x="${tx}" y="${H - 4}" text-anchor="${d === lo ? 'start' : d === hi ? 'end' : 'middle'}">${esc(fmt(10 ** d))} ms</text>`);
  }
  const p50 = quantile(sorted, 0.5);
  const p95 = quantile(sorted, 0.95);
  const over = limitMs !== undefined && p50 >= limitMs;
  const limit =
    limitMs !== undefined
      ? `<line class="limit" x1="${x(limitMs).toFixed(1)}" x2="${x(limitMs).toFixed(1)}" y1="12" y2="${base + 20}"/><text class="limit-label" x="${x(limitMs).toFixed(1)}" y="10" text-anchor="${x(limitMs) > W - 60 ? 'end' : 'middle'}">${esc(fmt(limitMs))} ms</text>`
      : '';
  const median = `<line class="p50${over ? ' over' : ''}" x1="${x(p50).toFixed(1)}" x2="${x(p50).toFixed(1)}" y1="20" y2="${base + 20}"><title>p50 ${esc(fmt(p50))} ms</title></line>`;
  const axis = `<line class="axis" x1="${left}" x2="${right}" y1="${base + 20}" y2="${base + 20}"/>`;
  const label = `${samples.length} samples, p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms${limitMs !== undefined ? `, limit ${fmt(limitMs)} ms` : ''}`;
  return `<svg class="latency" role="img" aria-label="${esc(label)}" data-p50="${p50}" data-limit="${limitMs ?? ''}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(label)}</title>${ticks.join('')}${axis}${bars}${dots}${median}${limit}</svg>`;
}

/** Time to bind a PVC as a bar, against its limit when there is one. */
export function bindSvg(bindMs: number, limitMs: number | undefined): string {
  const W = 420;
  const H = 46;
  const max = Math.max(bindMs, limitMs ?? 0) * 1.15 || 1;
  const x = (v: number) => 8 + (v / max) * (W - 16);
  const over = limitMs !== undefined && bindMs > limitMs;
  const label = `bound in ${fmtDuration(bindMs)}${limitMs !== undefined ? ` (limit ${fmtDuration(limitMs)})` : ''}`;
  const limit = limitMs !== undefined ? `<line class="limit" x1="${x(limitMs).toFixed(1)}" x2="${x(limitMs).toFixed(1)}" y1="2" y2="30"/><text class="limit-label" x="${x(limitMs).toFixed(1)}" y="42" text-anchor="middle">${esc(fmtDuration(limitMs))}</text>` : '';
  return `<svg class="bind" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(label)}</title><rect class="track" x="8" y="8" width="${W - 16}" height="16" rx="3"/><rect class="bar${over ? ' over' : ''}" x="8" y="8" width="${(x(bindMs) - 8).toFixed(1)}" height="16" rx="3"/><text class="tick" x="8" y="42">${esc(label)}</text>${limit}</svg>`;
}

const fmtDuration = (ms: number) => (ms >= 1000 ? `${fmt(ms / 1000)} s` : `${fmt(ms)} ms`);

/** The whole run as a stacked bar: how many checks got each status. */
function summarySvg(s: Report['summary']): string {
  const W = 600;
  let at = 0;
  const parts = ORDER.filter((k) => s[k] > 0).map((k) => {
    const w = (s[k] / Math.max(1, s.total)) * W;
    const rect = `<rect class="seg-${k}" x="${at.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="14" fill="${COLOR[k]}"><title>${s[k]} ${k}</title></rect>`;
    at += w;
    return rect;
  });
  return `<svg class="summary-bar" role="img" aria-label="${ORDER.map((k) => `${s[k]} ${k}`).join(', ')}" viewBox="0 0 ${W} 14" preserveAspectRatio="none" width="100%" height="14" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function evidenceValue(v: EvidenceValue): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '<span class="none">(none)</span>';
    // Lists of sentences one per line; lists of numbers on one line.
    if (v.every((x) => typeof x === 'number')) return `<span class="nums">${esc(v.map((x) => fmt(x as number)).join(', '))}</span>`;
    return `<ul class="list">${v.map((x) => `<li>${esc(String(x))}</li>`).join('')}</ul>`;
  }
  if (v === null) return '<span class="none">null</span>';
  return esc(String(v));
}

function pictures(r: CheckResult): string {
  const m = measurements(r);
  const out: string[] = [];
  if (m.samplesMs) {
    const sorted = [...m.samplesMs].sort((a, b) => a - b);
    const caption = `${m.samplesMs.length} round trips${r.vantage ? ` from ${r.vantage}` : ''}: p50 ${fmt(quantile(sorted, 0.5))} ms (solid line), p95 ${fmt(quantile(sorted, 0.95))} ms, max ${fmt(sorted[sorted.length - 1]!)} ms${m.limitMs !== undefined ? `; the dashed line is the ${fmt(m.limitMs)} ms limit` : ''} (log scale)`;
    out.push(`<figure class="picture" data-picture="latency">${latencySvg(m.samplesMs, m.limitMs)}<figcaption>${esc(caption)}</figcaption></figure>`);
  }
  if (m.bindMs !== undefined) out.push(`<figure class="picture" data-picture="pvc-bind">${bindSvg(m.bindMs, m.bindLimitMs)}<figcaption>time to bind a PersistentVolumeClaim</figcaption></figure>`);
  return out.join('');
}

function check(r: CheckResult): string {
  const evidence = Object.entries(r.evidence);
  const open = r.status === 'fail' || r.status === 'error' || r.status === 'warn' ? ' open' : '';
  return `<article class="check status-${r.status}" id="check-${esc(r.id)}" data-check-id="${esc(r.id)}" data-status="${r.status}">
<div class="head"><span class="badge badge-${r.status}">${STATUS_LABEL[r.status]}</span> <code class="id">${esc(r.id)}</code> <span class="title">${esc(r.title)}</span></div>
<p class="summary">${esc(r.summary)}</p>
${r.remediation && r.status !== 'pass' ? `<p class="todo"><strong>What to do:</strong> <span class="remediation">${esc(r.remediation)}</span></p>` : ''}
${pictures(r)}
<details class="evidence"${open}><summary>Evidence${r.vantage ? ` — measured from ${esc(r.vantage)}` : ''}</summary>
${evidence.length ? `<table class="kv">${evidence.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${evidenceValue(v)}</td></tr>`).join('')}</table>` : '<p class="none">no evidence recorded</p>'}
${r.threshold ? `<p class="threshold">Threshold: <code>${esc(r.threshold.value)}</code> — ${esc(r.threshold.source)}</p>` : ''}
<p class="meta">${esc(`${r.durationMs} ms`)} · <a href="${esc(r.docs)}" rel="noreferrer">docs</a> · <code>coder-preflight explain ${esc(r.id)}</code></p>
</details>
</article>`;
}

function target(report: Report): string {
  const t = report.target;
  const rows: [string, string][] = [];
  if (t.kubernetes) rows.push(['Kubernetes', `context <code>${esc(t.kubernetes.context)}</code> at ${esc(t.kubernetes.server)} <span class="src">(${esc(t.kubernetes.source)})</span>`]);
  else rows.push(['Kubernetes', '<span class="none">not configured</span>']);
  if (t.postgres) rows.push(['PostgreSQL', `<code>${esc(t.postgres.url)}</code> <span class="src">(from ${esc(t.postgres.source)})</span>`]);
  else rows.push(['PostgreSQL', '<span class="none">not configured</span>']);
  rows.push(['Namespace', `<code>${esc(t.namespace)}</code>`]);
  if (t.valuesFile) rows.push(['Values file', `<code>${esc(t.valuesFile)}</code>`]);
  rows.push(['Profile', `${esc(report.profile.name)}${report.profile.coderVersion ? ` (Coder ${esc(report.profile.coderVersion)})` : ''} <span class="src">(${esc(report.profile.source)})</span>`]);
  const vantages = [...new Set([t.vantage, ...report.results.map((r) => r.vantage).filter((v): v is string => Boolean(v))])];
  rows.push(['Vantage points', `<ul class="list vantages">${vantages.map((v) => `<li>${esc(v)}${v === t.vantage ? ' <span class="src">(where coder-preflight ran)</span>' : ''}</li>`).join('')}</ul>`]);
  const f = report.facts;
  if (f && f.source !== 'live') {
    rows.push(['Facts', `replayed offline from ${f.source === 'bundle' ? 'the support bundle' : 'saved facts'} <code>${esc(f.file ?? '')}</code>${f.savedAt ? `, gathered ${esc(f.savedAt)}` : ''}${f.savedBy ? ` by coder-preflight ${esc(f.savedBy)}` : ''}`]);
    if (f.note) rows.push(['Note', `<span class="note">${esc(f.note)}</span>`]);
  }
  return `<table class="kv target">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`;
}

/** The results to act on first, linked to their place on the page. */
function attention(report: Report): string {
  const todo = ORDER.slice(0, 3).flatMap((st) => report.results.filter((r) => r.status === st));
  if (!todo.length) return '<p class="all-good">Nothing to act on: no check failed, errored or warned.</p>';
  return `<section class="attention"><h2>Needs attention</h2><ul class="list">${todo.map((r) => `<li><span class="badge badge-${r.status}">${STATUS_LABEL[r.status]}</span> <a href="#check-${esc(r.id)}"><code>${esc(r.id)}</code></a> ${esc(r.summary)}</li>`).join('')}</ul></section>`;
}

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 14px}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin:10px 0}
.count{padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.summary-bar{display:block;border-radius:4px;margin:6px 0 18px}
table.kv{border-collapse:collapse;width:100%;margin:6px 0}
table.kv th{text-align:left;vertical-align:top;padding:3px 12px 3px 0;color:var(--muted);font-weight:600;white-space:nowrap;width:1%}
table.kv td{padding:3px 0;overflow-wrap:anywhere}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.src,.none,.meta{color:var(--muted)}
.note{color:${COLOR.warn};font-weight:600}
ul.list{margin:0;padding-left:18px}.attention ul.list{list-style:none;padding:0}.attention li{margin:4px 0;overflow-wrap:anywhere}
.check{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--line);border-radius:6px;padding:10px 14px;margin:10px 0}
${ORDER.map((s) => `.status-${s}{border-left-color:${COLOR[s]}}.badge-${s},.count-${s}{background:${COLOR[s]}}`).join('\n')}
.badge{display:inline-block;min-width:52px;text-align:center;color:#fff;border-radius:4px;padding:0 6px;font-weight:700;font-size:12px}
.head .id{font-weight:600}.head .title{color:var(--muted)}
.summary{margin:6px 0;overflow-wrap:anywhere}
.todo{margin:6px 0;padding:6px 10px;background:var(--bg);border-radius:4px;overflow-wrap:anywhere}
details.evidence summary{cursor:pointer;color:var(--muted)}
.picture{margin:8px 0}.picture figcaption{color:var(--muted);font-size:12px}
svg .bar{fill:#8c959f}svg .dot{fill:#0969da;fill-opacity:.75}svg .axis{stroke:var(--muted)}
svg .limit{stroke:${COLOR.fail};stroke-width:2;stroke-dasharray:4 3}svg .limit-label{fill:${COLOR.fail};font-size:11px}
svg .p50{stroke:${COLOR.pass};stroke-width:2}svg .p50.over{stroke:${COLOR.fail}}svg .p50-label{fill:var(--fg);font-size:11px}
svg .tick{fill:var(--muted);font-size:11px}svg .grid{stroke:var(--line);stroke-width:1}svg .track{fill:var(--line)}svg.bind .bar{fill:${COLOR.pass}}svg.bind .bar.over{fill:${COLOR.fail}}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

export function renderHtml(report: Report): string {
  const s = report.summary;
  const counts = ORDER.filter((k) => s[k] > 0)
    .map((k) => `<span class="count count-${k}" data-count="${k}">${s[k]} ${k}</span>`)
    .join('');
  const sections = groupByCategory(report.results)
    .map(([category, results]) => `<section class="category" data-category="${esc(category)}"><h2>${esc(category)} <span class="src">(${results.length})</span></h2>\n${results.map(check).join('\n')}</section>`)
    .join('\n');
  const when = `${report.startedAt} · ${(report.durationMs / 1000).toFixed(1)} s · coder-preflight ${report.tool.version} · exit code ${report.exitCode}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="coder-preflight ${esc(report.tool.version)}">
<title>coder-preflight: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.error} error, ${s.skip} skip</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>coder-preflight report</h1>
<p class="sub">${esc(when)}</p>
<div class="counts" data-worst="${s.worst}">${counts}<span class="total">${s.total} checks</span></div>
${summarySvg(s)}
${attention(report)}
<section class="run"><h2>Target and vantage points</h2>
${target(report)}
</section>
${sections}
<footer>Self-contained: no scripts, no external assets. Measurements name where they were taken; a measurement from this machine is not one from where Coder runs. Exit codes: 0 passed or warnings, 1 error, 3 fail, 4 warnings with --fail-on warn.</footer>
</main>
</body>
</html>
`;
}
