// Coder v2 without CODER_PG_CONNECTION_URL does not fail: it starts a built-in PostgreSQL inside
// the pod, and everything is lost when the pod restarts (coder-requirements.md §3; the chart's
// values.yaml: "coder.env … CODER_PG_CONNECTION_URL"). So a URL set in the wrong place, or a
// reference to a Secret key that is not there, is the costliest silent mistake in a values file.
import { defineCheck } from '../../src/engine/define.ts';

const BUILT_IN = 'Coder would start its built-in PostgreSQL inside the pod, and lose every workspace, user and template when the pod restarts';
const HOW = 'set it in coder.env: - name: CODER_PG_CONNECTION_URL, valueFrom: {secretKeyRef: {name: coder-db-url, key: url}} (kubectl -n <ns> create secret generic coder-db-url --from-literal=url=postgres://…)';

export default defineCheck({
  id: 'values.pg-url-wired',
  title: 'The values file gives Coder its database',
  category: 'values',
  facts: ['values.pg-wiring'],
  docs: 'https://coder.com/docs/install/kubernetes',
  explain: {
    what: 'Reads the values file the way the chart renders it: for the v2 chart, CODER_PG_CONNECTION_URL from coder.env (a literal, a secretKeyRef or a configMapKeyRef) or, failing that, from the Secrets and ConfigMaps of coder.envFrom (a later entry wins, a prefix counts); for the v1 chart, postgres.host and its Secrets. It checks that each object and key exists and can be read, and looks for the URL set where the chart never reads it (a top-level env:, coderd.env, coder.env as a mapping). Judged on the values even when --postgres-url overrides the database for the other checks.',
    why: 'Without a database URL, Coder v2 does not refuse to start: it runs a built-in PostgreSQL inside its pod, and loses all data on the next restart. A secretKeyRef to a missing Secret or key keeps the pod in CreateContainerConfigError. Neither shows up until after helm install.',
    fix: 'Put CODER_PG_CONNECTION_URL in coder.env, with valueFrom.secretKeyRef pointing at a Secret in the release namespace that has that key; create the Secret before helm install. Keep passwords out of the values file and out of ConfigMaps.',
  },
  onFactFailure({ 'values.pg-wiring': w }) {
    if (w.ok || w.reason !== 'invalid-config') return undefined;
    return {
      status: 'fail',
      summary: `The values file points Coder at a database setting that is not there: ${w.message}`,
      remediation: w.hint ?? HOW,
      evidence: { reason: w.reason },
    };
  },
  evaluate({ 'values.pg-wiring': w }) {
    const evidence = {
      valuesFile: w.path,
      chart: w.shape,
      setIn: w.declared,
      ...(w.from ? { readFrom: w.from } : {}),
      ...(w.misplaced.length ? { ignoredPlaces: w.misplaced.map((m) => `${m.where}: ${m.why}`) } : {}),
      ...(w.legacyKeys.length ? { pre121Keys: w.legacyKeys } : {}),
      auth: `${w.auth.value} (${w.auth.where})`,
      ...(w.overriddenBy ? { thisRunConnectedWith: w.overriddenBy } : {}),
    };
    if (w.shape === 'v1') {
      if (w.source === 'none') {
        return { status: 'warn', summary: 'The v1 values set no postgres.host: Coder v1 would use the chart\'s built-in TimescaleDB, which Coder does not support for production', remediation: 'set postgres.host, port, user, database, sslMode and passwordSecret to an external PostgreSQL', evidence };
      }
      if (w.legacyKeys.length) {
        return { status: 'warn', summary: `The values use keys from before Coder v1.21 (${w.legacyKeys.join(', ')}): charts 1.27 and later ignore them`, remediation: 'rename them (cemanager.* → coderd.*, serviceTolerations → services.tolerations, postgres.useDefault → postgres.default.enable)', evidence };
      }
      return { status: 'pass', summary: `The v1 values give Coder an external database (postgres.host${w.from ? `, password from ${w.from}` : ''})`, evidence };
    }
    const ignored = w.misplaced.map((m) => m.where).join(', ');
    if (w.emptyValue) return { status: 'fail', summary: `coder.env sets CODER_PG_CONNECTION_URL to an empty value: ${BUILT_IN}`, remediation: HOW, evidence };
    if (w.source === 'none') {
      return {
        status: 'fail',
        summary: w.misplaced.length ? `CODER_PG_CONNECTION_URL is set only in ${ignored}, which the chart ignores: ${BUILT_IN}` : `The values give Coder no CODER_PG_CONNECTION_URL: ${BUILT_IN}`,
        remediation: w.misplaced.length ? `move it: ${w.misplaced[0]!.why}; ${HOW}` : HOW,
        evidence,
      };
    }
    const where = w.from ?? w.declared.join(', ');
    if (w.source === 'url' && w.literalPassword) {
      return { status: 'warn', summary: `The database URL, password included, is written in the values file (${where}): it ends up in the Deployment, readable by anyone who may get deployments`, remediation: HOW, evidence };
    }
    if (w.objectKind === 'configmap') {
      return { status: 'warn', summary: `The database URL comes from a ConfigMap (${where}): ConfigMaps are not secret, so the password is readable by anyone who may get configmaps`, remediation: HOW, evidence };
    }
    if (w.misplaced.length) {
      return { status: 'warn', summary: `Coder gets its database URL from ${where}, but it is also set in ${ignored}, which the chart ignores`, remediation: 'remove the copies the chart ignores, so the next edit lands in the right place', evidence };
    }
    return { status: 'pass', summary: `The values give Coder its database URL from ${where}`, evidence };
  },
});
