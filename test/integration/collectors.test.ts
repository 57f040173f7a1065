// The fact collectors against real servers: PostgreSQL 10, 11, 13, 17 (and through PgBouncer),
// and the world's kube-apiserver. No mocks: what the checks see is what these servers said.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collectors } from '../../src/facts/index.ts';
import { FactStore } from '../../src/facts/store.ts';
import { Redactor } from '../../src/redact.ts';
import { resolveTarget } from '../../src/inputs/resolve.ts';
import { preflightSessionsLeft } from '../helpers/cli.ts';
import { startPgBouncer, startPostgres, stopPgBouncer, stopPostgres, withClient, type PgBouncerInstance, type PgInstance } from '../world/postgres.ts';

const kube = inject('kube');
const servers = new Map<number, PgInstance>();
let bouncer: PgBouncerInstance;

beforeAll(async () => {
  for (const pg of await Promise.all([10, 11, 13, 17].map((major) => startPostgres({ major })))) servers.set(pg.major, pg);
  bouncer = await startPgBouncer(servers.get(17)!);
});
afterAll(async () => {
  if (bouncer) await stopPgBouncer(bouncer);
  await Promise.all([...servers.values()].map((s) => stopPostgres(s)));
});

/** coder-preflight backends on the server, waiting (up to 2.5 s) for the count to reach `expected`. */
async function preflightSessions(superuserUrl: string, expected: number): Promise<number> {
  return withClient(superuserUrl, async (su) => {
    let n = -1;
    for (let i = 0; i < 50 && n !== expected; i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      n = (await su.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'coder-preflight'")).rows[0]!.n;
    }
    return n;
  });
}

async function gather(opts: { postgresUrl?: string; kubeconfig?: string; context?: string }) {
  const redactor = new Redactor();
  const target = await resolveTarget({ ...opts, env: { HOME: '/nonexistent' }, redactor });
  const store = new FactStore({ collectors, target, redactor, signal: new AbortController().signal });
  return { store, close: () => store.resources.closeAll() };
}

describe('postgres.server', () => {
  it.each([10, 11, 13, 17])('reads the real version of PostgreSQL %i', async (major) => {
    const pg = servers.get(major)!;
    const { store, close } = await gather({ postgresUrl: pg.urls.coder });
    const f = await store.get('postgres.server');
    await close();
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.value).toMatchObject({ major, versionNum: pg.serverVersionNum, version: pg.serverVersion, user: 'coder', database: 'coder', tls: false, sslmode: 'disable' });
    expect(f.value.versionString).toMatch(new RegExp(`^PostgreSQL ${major}\\.`));
    expect(f.value.connectMs).toBeGreaterThan(0);
  });

  it('works through PgBouncer in transaction pooling (the server behind it answers)', async () => {
    const { store, close } = await gather({ postgresUrl: bouncer.urls.coder });
    const f = await store.get('postgres.server');
    await close();
    expect(f).toMatchObject({ ok: true, value: { major: 17, port: bouncer.port } });
  });

  it('shares one connection between collectors and closes it at the end', async () => {
    const pg = servers.get(11)!; // not 17: PgBouncer keeps pooled server connections to that one
    const { store, close } = await gather({ postgresUrl: pg.urls.coder });
    await store.get('postgres.server');
    const client = await store.resources.use('postgres.session', async () => {
      throw new Error('should be memoised');
    });
    expect(client).toBeDefined();
    await close();
    // A fresh superuser connection sees no backend left from coder-preflight.
    expect(await preflightSessionsLeft(pg.urls.superuser)).toBe(0);
  });

  it('runs the postgres.* queries on the shared session one at a time (pg warns when they overlap)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { store, close } = await gather({ postgresUrl: servers.get(17)!.urls.coder });
      const facts = await Promise.all((['postgres.server', 'postgres.privileges', 'postgres.connections', 'postgres.listen-notify'] as const).map((id) => store.get(id)));
      await close();
      expect(facts.map((f) => f.ok)).toEqual([true, true, true, true]);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => /already executing a query/.test(w))).toEqual([]);
  });

  it('closes the LISTEN connection as soon as postgres.listen-notify settles, and the shared session at the end', async () => {
    // In-process, like a long-lived caller: nothing exits, so a listener left open would stay.
    const pg = servers.get(10)!; // not 17 (PgBouncer's pool), not 11 (the test above)
    const { store, close } = await gather({ postgresUrl: pg.urls.coder });
    let closed = false;
    try {
      const f = await store.get('postgres.listen-notify');
      expect(f).toMatchObject({ ok: true, value: { delivered: true } });
      // Before closeAll: the shared session only (the listener's backend gone).
      expect(await preflightSessions(pg.urls.superuser, 1)).toBe(1);
      await close();
      closed = true;
      expect(await preflightSessionsLeft(pg.urls.superuser)).toBe(0);
    } finally {
      if (!closed) await close();
    }
  });

  it('stores a wrong password as an unauthorized failure, with the password redacted', async () => {
    const pg = servers.get(13)!;
    const { store, close } = await gather({ postgresUrl: pg.urls.coder.replace(pg.roles.coder.password, 'definitely-wrong-pw') });
    const f = await store.get('postgres.server');
    await close();
    expect(f).toMatchObject({ ok: false, reason: 'unauthorized' });
    expect(JSON.stringify(f)).not.toContain('definitely-wrong-pw');
  });
});

describe('kubernetes.version', () => {
  it('reads /version from the real API server for admin and restricted users', async () => {
    for (const kubeconfig of [kube.kubeconfig, kube.viewerKubeconfig]) {
      const { store, close } = await gather({ kubeconfig });
      const f = await store.get('kubernetes.version');
      await close();
      expect(f).toMatchObject({ ok: true, value: { gitVersion: kube.version, major: 1, minor: Number(kube.version.split('.')[1]), server: kube.server } });
    }
  });
});
