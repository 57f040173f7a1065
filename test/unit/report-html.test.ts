// The HTML report as text: self-contained (no script, no external asset, a CSP that forbids both),
// every result in its category with its status, everything escaped, and the pictures drawn from
// the evidence fields the checks fill (samplesMs, limitMs, bindMs). The rendered page is tested in
// a real browser in test/e2e/html-report.test.ts.
import { describe, expect, it } from 'vitest';
import { latencySvg, measurements, renderHtml } from '../../src/report/html.ts';
import { FORMATS } from '../../src/report/renderers.ts';
import { report, result } from '../helpers/report.ts';

const samples = [0.05, 0.07, 0.06, 0.09, 0.12, 0.07, 0.08, 1.3];
const rep = report([
  result({ id: 'postgres.latency', status: 'pass', summary: 'answers in 0.07 ms', evidence: { samplesMs: samples, p50Ms: 0.07 }, threshold: { value: 'p50 < 10 ms', source: 'docs' }, vantage: 'this machine (test)' }),
  result({ id: 'postgres.version', status: 'warn', summary: 'PostgreSQL <12> & "old"', remediation: 'upgrade <now>' }),
  result({ id: 'kubernetes.api', status: 'fail', summary: '<script>alert(1)</script>', evidence: { list: ['<b>x</b>', 'y'] } }),
  result({ id: 'kubernetes.pvc', status: 'pass', summary: 'bound', evidence: { bindMs: 2300, bindLimitMs: 30000 } }),
  result({ id: 'storage.x', status: 'skip', summary: 'no cluster', remediation: 'pass --kubeconfig' }),
  result({ id: 'network.policy', status: 'error', summary: 'forbidden' }),
]);

describe('-o html', () => {
  const html = renderHtml(rep);

  it('is one of the formats -o takes', () => expect(FORMATS).toContain('html'));

  it('is self-contained: no script, no external resource, a CSP that allows inline styles and nothing else', () => {
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|\bsrc=|@import|url\(/i);
    // The only URLs are the checks' docs links (anchors, not loaded), the target's API server (text) and the SVG namespace.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['https://coder.com/docs', 'https://127.0.0.1:6443', 'http://www.w3.org/2000/svg']));
    expect([...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!).filter((h) => !h.startsWith('#'))).toEqual(rep.results.map(() => 'https://coder.com/docs'));
  });

  it('escapes every text from the report', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('PostgreSQL &lt;12&gt; &amp; &quot;old&quot;');
    expect(html).toContain('upgrade &lt;now&gt;');
    expect(html).toContain('<li>&lt;b&gt;x&lt;/b&gt;</li>');
    expect(html).not.toContain('<script>');
  });

  it('has every result once, in its category, with its status, and lists what needs attention first', () => {
    for (const r of rep.results) expect(html.split(`data-check-id="${r.id}" data-status="${r.status}"`).length - 1, r.id).toBe(1);
    expect([...html.matchAll(/<section class="category" data-category="([^"]+)"/g)].map((m) => m[1])).toEqual(['postgres', 'kubernetes', 'storage', 'network']);
    const attention = /<section class="attention">([\s\S]*?)<\/section>/.exec(html)![1]!;
    expect([...attention.matchAll(/href="#check-([^"]+)"/g)].map((m) => m[1])).toEqual(['kubernetes.api', 'network.policy', 'postgres.version']);
    expect(html).toMatch(/this machine \(test\)/);
  });

  it('draws the latency samples with the limit line from the threshold, and the PVC bind time against its limit', () => {
    expect(measurements(rep.results[0]!)).toEqual({ samplesMs: samples, limitMs: 10 });
    expect(measurements(rep.results[3]!)).toEqual({ bindMs: 2300, bindLimitMs: 30000 });
    expect(measurements(rep.results[1]!)).toEqual({});
    expect(html.match(/data-picture="latency"/g)).toHaveLength(1);
    expect(html.match(/data-picture="pvc-bind"/g)).toHaveLength(1);
    const svg = latencySvg(samples, 10);
    expect(svg.match(/<circle class="dot"/g)).toHaveLength(samples.length);
    expect(svg).toMatch(/data-p50="0.07" data-limit="10"/);
    expect(svg).toMatch(/<line class="limit"/);
    expect(svg).toMatch(/aria-label="8 samples, p50 0.07 ms, p95 1.3 ms, limit 10 ms"/);
    // The limit sits right of every sample here; the p50 line left of it and not marked over.
    const x = (cls: string) => Number(new RegExp(`<line class="${cls}" x1="([\\d.]+)"`).exec(svg)![1]);
    expect(x('limit')).toBeGreaterThan(x('p50'));
    expect(latencySvg([12, 14, 15], 10)).toMatch(/class="p50 over"/);
    // Evidence that is not a list of finite numbers draws nothing.
    expect(measurements(result({ id: 'a.b', status: 'pass', evidence: { samplesMs: ['1', '2'] } }))).toEqual({});
  });

  it('says when the facts were replayed, and by which version they were gathered', () => {
    const replayed = renderHtml({ ...rep, facts: { source: 'bundle', file: 'b.tar.gz', savedAt: '2026-01-01T00:00:00.000Z', savedBy: '0.0.1', note: 'facts gathered by coder-preflight 0.0.1, judged by 0.1.0: checks that changed since may judge differently' } });
    expect(replayed).toMatch(/replayed offline from the support bundle <code>b.tar.gz<\/code>, gathered 2026-01-01T00:00:00.000Z by coder-preflight 0.0.1/);
    expect(replayed).toMatch(/<span class="note">facts gathered by coder-preflight 0.0.1, judged by 0.1.0/);
  });
});
