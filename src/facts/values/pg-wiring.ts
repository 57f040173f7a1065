// How the values file hands the database to Coder's container: which key the chart reads, whether
// the Secret, ConfigMap and key it points at exist, and settings placed where the chart never looks.
// Judged even when --postgres-url overrides the database for this run: the install uses the values.
import { ClassifiedError } from '../../errors.ts';
import type { PgWiring } from '../../inputs/values.ts';
import { defineCollector } from '../collector.ts';

export interface PgWiringFact extends PgWiring {
  path: string;
  shape: 'v1' | 'v2';
  /** How the values give the database: none, a literal URL, a key reference, envFrom, v1 postgres.*. */
  source: 'none' | 'url' | 'url-ref' | 'env-from' | 'v1';
  /** The Secret/ConfigMap key the setting was read from (when it came from one). */
  from?: string;
  /** "secret" or "configmap" when the URL comes from an object. */
  objectKind?: 'secret' | 'configmap';
  /** The settings the other checks used, when not the values' own (--postgres-url, CODER_PG_CONNECTION_URL). */
  overriddenBy?: string;
  /** CODER_PG_AUTH / postgres.connector. */
  auth: { value: string; where: string };
}

declare module '../types.ts' {
  interface FactMap {
    'values.pg-wiring': PgWiringFact;
  }
}

export default defineCollector({
  id: 'values.pg-wiring',
  timeoutMs: 1000,
  async collect(ctx) {
    const t = ctx.target;
    if (!t.values) throw new ClassifiedError('not-configured', 'No values file given', 'pass the values file you will give helm install with --values to check how it wires the database');
    const pg = t.valuesPostgres;
    if (pg?.state === 'unresolved') throw new ClassifiedError(pg.reason, pg.message, pg.hint);
    const src = t.values.postgres;
    const own = t.postgres.state === 'configured' ? t.postgres.settings.source : '';
    const overridden = own.startsWith('--postgres-url') ? '--postgres-url' : own.startsWith('CODER_PG_CONNECTION_URL') ? 'CODER_PG_CONNECTION_URL' : undefined;
    const objectKind = src.kind === 'url-ref' ? src.ref.from : src.kind === 'env-from' && pg?.state === 'configured' ? (/^ConfigMap /.test(pg.from ?? '') ? 'configmap' : 'secret') : undefined;
    return {
      path: t.values.path,
      shape: t.values.shape,
      ...t.values.wiring,
      source: src.kind,
      ...(pg?.state === 'configured' && pg.from ? { from: pg.from } : {}),
      ...(objectKind ? { objectKind } : {}),
      ...(overridden ? { overriddenBy: overridden } : {}),
      auth: t.pgAuth,
    };
  },
});
