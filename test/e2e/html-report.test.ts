// -o html in a real browser: Debian's headless Chromium (scripts/install-apt-deps.sh installs it;
// CI fails here rather than skip when it is missing) loads the page of a run against the world,
// without network, and the rendered DOM has every check with its status and its words exactly (so
// nothing was parsed as markup), the latency samples drawn against the 10 ms line, no request
// beyond the page itself, and no secret. The screenshot goes to /work/notes/report.png when that
// directory exists (or $REPORT_SCREENSHOT).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Report } from '../../src/report/model.ts';
import { Browser, findChromium } from '../helpers/chromium.ts';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { kubeConfig } from '../world/kube/kube.ts';
import { ensureNamespace, resetScenario } from '../world/kube/scenario.ts';
import { startPostgres, stopPostgres, type PgInstance } from '../world/postgres.ts';

const kube = inject('kube');
const admin = kubeConfig(kube, 'admin');
const SCENARIO = `html-${process.pid}`;
const NS = `${SCENARIO}-coder`;
const chromium = findChromium();
// Skip on a machine without Chromium, never in CI: there its absence is a setup bug.
const browserIt = chromium || process.env.CI ? it : it.skip;
const SCREENSHOT = process.env.REPORT_SCREENSHOT ?? (existsSync('/work/notes') ? '/work/notes/report.png' : undefined);
const OIDC = `html-oidc-${Date.now().toString(36)}-s3cr3t`;

let pg: PgInstance;
let password: string;
let html: string;
let report: Report;

beforeAll(async () => {
  pg = await startPostgres({ major: 17 });
  password = decodeURIComponent(new URL(pg.urls.coder).password);
  await ensureNamespace(admin, SCENARIO, NS);
  const d = mkdtempSync(join(tmpdir(), 'cp-e2e-html-'));
  const values = join(d, 'values.yaml');
  writeFileSync(values, stringify({ coder: { replicaCount: 2, env: [{ name: 'CODER_PG_CONNECTION_URL', value: pg.urls.coder }, { name: 'CODER_OIDC_CLIENT_SECRET', value: OIDC }] } }));
  html = join(d, 'report.html');
  const r = await runCli(['--kubeconfig', kube.kubeconfig, '-n', NS, '--values', values, '-o', `html=${html}`, '-o', `json=${join(d, 'report.json')}`], { env: cleanEnv() });
  expect([0, 3], r.stderr).toContain(r.code);
  report = JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as Report;
});
afterAll(async () => {
  await resetScenario(admin, SCENARIO);
  if (pg) await stopPostgres(pg);
});

describe('-o html in headless Chromium', () => {
  browserIt('renders every check with its status and exact words, the latency picture, no request and no secret', async () => {
    if (!chromium) throw new Error('chromium is not installed: CI installs it with scripts/install-apt-deps.sh (apt-get install chromium)');
    const browser = await Browser.launch(chromium);
    try {
      const url = pathToFileURL(html).href;
      const page = await browser.open(url);
      // Offline and self-contained: the page asked for nothing but itself.
      expect(page.requests).toEqual([url]);

      const checks = await page.eval<{ id: string; status: string; badge: string; summary: string; category: string }[]>(`[...document.querySelectorAll('article.check')].map((a) => ({ id: a.dataset.checkId, status: a.dataset.status, badge: a.querySelector('.badge').textContent, summary: a.querySelector('.summary').textContent, category: a.closest('section').dataset.category }))`);
      expect(checks.map((c) => c.id).sort()).toEqual(report.results.map((r) => r.id).sort());
      for (const r of report.results) {
        const c = checks.find((x) => x.id === r.id)!;
        expect(c, r.id).toEqual({ id: r.id, status: r.status, badge: r.status.toUpperCase(), summary: r.summary, category: r.category });
      }
      expect(report.results.some((r) => r.summary.includes('<')), 'a summary with "<" to prove the escaping (kubernetes.load-balancer says <pending>)').toBe(true);
      // Nothing in the page is an element made from report text: only the tags the renderer writes.
      const tags = await page.eval<string[]>(`[...new Set([...document.querySelectorAll('body *')].map((e) => e.localName))].sort()`);
      expect(tags.filter((t) => !['a', 'article', 'circle', 'code', 'details', 'div', 'figcaption', 'figure', 'footer', 'h1', 'h2', 'li', 'line', 'main', 'p', 'rect', 'section', 'span', 'strong', 'summary', 'svg', 'table', 'tbody', 'td', 'text', 'th', 'title', 'tr', 'ul'].includes(t))).toEqual([]);
      const counts = await page.eval<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll('[data-count]')].map((e) => [e.dataset.count, e.textContent]))`);
      for (const [k, n] of Object.entries(report.summary)) if (typeof n === 'number' && k !== 'total' && n > 0) expect(counts[k]).toBe(`${n} ${k}`);

      // The latency samples, drawn: one dot per sample, the p50 line left of the dashed 10 ms line.
      const latency = report.results.find((r) => r.id === 'postgres.latency')!;
      const samples = latency.evidence.samplesMs as number[];
      expect(samples.length).toBeGreaterThanOrEqual(10);
      const svg = await page.eval<{ dots: number; limitX: number; p50X: number; width: number; label: string }>(`(() => { const s = document.querySelector('article[data-check-id="postgres.latency"] svg.latency'); const x = (sel) => s.querySelector(sel).getBoundingClientRect().x; return { dots: s.querySelectorAll('circle.dot').length, limitX: x('line.limit'), p50X: x('line.p50'), width: s.getBoundingClientRect().width, label: s.getAttribute('aria-label') }; })()`);
      expect(svg.dots).toBe(samples.length);
      expect(svg.width).toBeGreaterThan(300);
      expect(svg.limitX).toBeGreaterThan(svg.p50X);
      expect(svg.label).toMatch(new RegExp(`^${samples.length} samples, p50 [\\d.]+ ms, p95 [\\d.]+ ms, limit 10 ms$`));

      // The target and the vantage point are on the page; no secret is, in the text or the markup.
      const text = await page.eval<string>('document.body.innerText');
      expect(text).toContain(`this machine (`);
      expect(text).toContain(kube.server);
      const markup = await page.eval<string>('document.documentElement.outerHTML');
      for (const s of [password, encodeURIComponent(password), OIDC, Buffer.from(OIDC).toString('base64')]) {
        expect(text.includes(s), s).toBe(false);
        expect(markup.includes(s), s).toBe(false);
      }
      expect(page.console).toEqual([]);
      const png = await page.screenshot();
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      if (SCREENSHOT) writeFileSync(SCREENSHOT, png);
    } finally {
      await browser.close();
    }
  });
});
