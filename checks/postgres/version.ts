// Coder 2.x refuses to start on PostgreSQL < 13 (cli/server.go: "PostgreSQL version must be
// v13.0.0 or higher!"); Coder v1 needed ≥ 11 with contrib (coder-requirements.md §1f, §3a, §6).
import { defineCheck } from '../../src/engine/define.ts';

/** Last minor release per major (PostgreSQL's 5-year policy), for an advisory in the evidence. */
const END_OF_LIFE: Record<number, string> = { 10: '2022-11', 11: '2023-11', 12: '2024-11', 13: '2025-11', 14: '2026-11', 15: '2027-11', 16: '2028-11', 17: '2029-11', 18: '2030-11' };

export default defineCheck({
  id: 'postgres.version',
  title: 'PostgreSQL version is supported by Coder',
  category: 'postgres',
  facts: ['postgres.server'],
  docs: 'https://coder.com/docs/admin/setup',
  defaults: {
    // The seeds (Coder v1 requirements): PostgreSQL ≥ 11 with contrib; Coder 2.x refuses < 13, so warn below 13.
    baseline: { minMajor: 11, recommendedMajor: 13, source: 'Coder docs: v1 needs PostgreSQL ≥ 11; Coder 2.x refuses < 13 (cli/server.go)' },
    v1: { recommendedMajor: 11, source: 'Coder v1 requirements: PostgreSQL ≥ 11 with the contrib package' },
    v2: { minMajor: 13, recommendedMajor: 13, source: 'Coder 2.x cli/server.go: refuses server_version_num < 130000' },
  },
  explain: {
    what: 'Compares the server\'s server_version_num with the minimum of the Coder you will install: ≥ 13 for Coder 2.x, ≥ 11 for Coder v1. Without --coder-version or a values file it applies the v1 minimum and warns below 13.',
    why: 'Coder 2.x checks the version at start-up and exits on anything older than 13; older servers in the field show up as confusing migration errors. Coder v1 needed 11 or newer.',
    fix: 'Upgrade PostgreSQL (or create a new instance) to a supported major — 16 or 17 is a good choice — and point Coder at it. Managed services (RDS, Cloud SQL, Azure) offer in-place major upgrades.',
  },
  evaluate({ 'postgres.server': s }, { profile, options }) {
    const min = options.minMajor;
    const rec = options.recommendedMajor;
    const eol = END_OF_LIFE[Math.floor(s.major)];
    const evidence = {
      serverVersion: s.version,
      serverVersionNum: s.versionNum,
      minimumMajor: min,
      recommendedMajor: rec,
      profile: profile.name,
      ...(eol ? { communitySupportEnds: eol } : {}),
    };
    const threshold = { value: `>= ${min}${rec > min ? `, recommended >= ${rec}` : ''}` };
    if (s.major < min) {
      return {
        status: 'fail',
        summary: `PostgreSQL ${s.version} is older than ${min}, the minimum for ${profile.name === 'v2' ? 'Coder 2.x' : 'Coder'}`,
        remediation: `upgrade the server to PostgreSQL ${Math.max(rec, 13)} or newer (16 or 17 recommended), then point Coder at it`,
        evidence,
        threshold,
      };
    }
    if (s.major < rec) {
      return {
        status: 'warn',
        summary: `PostgreSQL ${s.version} works for Coder v1, but Coder 2.x refuses versions below ${rec}`,
        remediation: `plan an upgrade to PostgreSQL ${rec} or newer before moving to Coder 2.x (pass --coder-version to judge for the version you install)`,
        evidence,
        threshold,
      };
    }
    return { status: 'pass', summary: `PostgreSQL ${s.version} meets the minimum ${min}${eol ? ` (community support for ${Math.floor(s.major)} ends ${eol})` : ''}`, evidence, threshold };
  },
});
